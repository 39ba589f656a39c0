/** The audit writer: batched lines, a byte bound (drop and count past it), write failures counted and logged at most once a minute. */
import { describe, expect, test } from "bun:test";
import { AUDIT_SPARE_CHUNKS, AuditLog, WALL_CLOCK_REFRESH_MS, auditLine, redactNoun, type AuditRecord, type AuditSink } from "../../../src/audit/index.ts";
import { recordingLogger } from "../../support/index.ts";

const RECORD: AuditRecord = {
  direction: "in",
  cn: "edge-7",
  verb: "GET",
  noun: "files//a.txt",
  caller: "app",
  code: 0,
  status: 200,
  bytesIn: 1,
  bytesOut: 2,
  durationMs: 1.23456,
  rule: 1,
  traceparent: undefined,
};

/** A sink whose writes are held until released, or fail. */
function heldSink() {
  const writes: string[] = [];
  let release: (() => void) | undefined;
  let fail: Error | undefined;
  const sink: AuditSink = {
    name: "/var/log/rp-audit.log",
    write: (bytes) => {
      if (fail) return Promise.reject(fail);
      writes.push(new TextDecoder().decode(bytes));
      return new Promise<void>((resolve) => (release = resolve));
    },
    reopen: async () => {},
    close: async () => {},
  };
  return { sink, writes, release: () => release?.(), failWith: (error: Error | undefined) => (fail = error) };
}

describe("audit lines", () => {
  test("one JSON object per line; arguments redacted unless shown", () => {
    const line = auditLine(RECORD, 0, false);
    expect(line.endsWith("\n")).toBe(true);
    expect(JSON.parse(line)).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      direction: "in",
      cn: "edge-7",
      verb: "GET",
      noun: "files//<redacted>",
      caller: "app",
      code: 0,
      status: 200,
      bytes_in: 1,
      bytes_out: 2,
      duration_ms: 1.235,
      rule: 1,
      traceparent: null,
    });
    expect(JSON.parse(auditLine(RECORD, 0, true))["noun"]).toBe("files//a.txt");
    expect(redactNoun("time")).toBe("time");
  });
});

describe("AuditLog", () => {
  const schedule = (flush: () => void) => queueMicrotask(flush);

  test("lines queued while a write is in flight go out in one batch", async () => {
    const held = heldSink();
    const audit = new AuditLog({ sink: held.sink, log: recordingLogger().log, maxQueueBytes: 1 << 20, showArgs: false, schedule });
    audit.record(RECORD);
    await Promise.resolve();
    for (let i = 0; i < 5; i++) audit.record(RECORD);
    held.release();
    const done = audit.flushed();
    await new Promise((resolve) => setTimeout(resolve, 0));
    held.release();
    await done;
    expect(held.writes.map((w) => w.split("\n").length - 1)).toEqual([1, 5]);
    expect(audit.stats).toEqual({ written: 6, dropped: 0 });
  });

  test("past the byte bound lines are dropped and counted; one error, then at most one a minute with the count", async () => {
    const held = heldSink();
    const { log, records } = recordingLogger();
    let now = 1_000_000;
    const later: Array<{ run: () => void; ms: number }> = [];
    const lineBytes = auditLine(RECORD, now, false).length;
    const audit = new AuditLog({
      sink: held.sink,
      log,
      maxQueueBytes: lineBytes * 3,
      showArgs: false,
      queueSetting: "RP_SERVER_AUDIT_QUEUE_BYTES",
      schedule: () => {}, // never flushes: the disk "hangs"
      now: () => now,
      later: (run, ms) => void later.push({ run, ms }),
    });
    for (let i = 0; i < 10; i++) audit.record(RECORD);
    expect(audit.stats.dropped).toBe(7);
    const errors = () => records.filter((r) => r.level === "error");
    expect(errors().length).toBe(1);
    expect(errors()[0]!.msg).toBe(
      `Cannot write the audit log /var/log/rp-audit.log: ${lineBytes * 3} bytes are queued, the limit (RP_SERVER_AUDIT_QUEUE_BYTES = ${lineBytes * 3}): /var/log/rp-audit.log is not keeping up; check the disk, or set RP_SERVER_AUDIT_QUEUE_BYTES higher`,
    );
    expect(errors()[0]!.fields).toEqual({ dropped: 1, droppedTotal: 1 });
    expect(later.map((l) => l.ms)).toEqual([60_000]);
    now += 60_000;
    later[0]!.run();
    expect(errors().length).toBe(2);
    expect(errors()[1]!.fields).toEqual({ dropped: 6, droppedTotal: 7 });
  });

  test("a failing write drops its lines, counts them, and never throws into the event path", async () => {
    const held = heldSink();
    held.failWith(new Error("EACCES: permission denied"));
    const { log, records } = recordingLogger();
    const audit = new AuditLog({ sink: held.sink, log, maxQueueBytes: 1 << 20, showArgs: false, schedule });
    audit.record(RECORD);
    audit.record(RECORD);
    await audit.flushed();
    expect(audit.stats).toEqual({ written: 0, dropped: 2 });
    expect(records.filter((r) => r.level === "error").map((r) => [r.msg, r.fields["dropped"]])).toEqual([
      ["Cannot write the audit log /var/log/rp-audit.log: cannot write: EACCES: permission denied; check the disk and the file's permissions", 2],
    ]);
  });
});

describe("audit lines are JSON whatever the text", () => {
  test("quotes, backslashes, control and non-ASCII characters are escaped", () => {
    const hostile = { ...RECORD, cn: 'a"b\\c', noun: "x\u0001y\u2028", caller: "é\n" };
    const parsed = JSON.parse(auditLine(hostile, 0, true)) as Record<string, unknown>;
    expect([parsed["cn"], parsed["noun"], parsed["caller"]]).toEqual(['a"b\\c', "x\u0001y\u2028", "é\n"]);
  });
});

describe("audit lines are bounded", () => {
  test("a verb or noun past 2048 characters is clipped, saying how much was left out", () => {
    const parsed = JSON.parse(auditLine({ ...RECORD, verb: "v".repeat(3_000), noun: "n".repeat(5_000) }, 0, true)) as Record<string, string>;
    expect(parsed["verb"]).toBe(`${"v".repeat(2_048)}...(952 more)`);
    expect(parsed["noun"]).toBe(`${"n".repeat(2_048)}...(2952 more)`);
  });
});

describe("AuditLog reuses its chunks", () => {
  test("a chunk is reused only after the sink has written every part of it: every line intact, in order", async () => {
    const written: string[] = [];
    const buffers = new Set<ArrayBufferLike>();
    let changedInFlight = 0;
    const sink: AuditSink = {
      name: "slow",
      write: async (bytes) => {
        const copy = bytes.slice();
        buffers.add(bytes.buffer);
        await new Promise((resolve) => setTimeout(resolve, 1)); // the bytes stay the sink's meanwhile
        if (!bytes.every((byte, i) => byte === copy[i])) changedInFlight++;
        written.push(new TextDecoder().decode(bytes));
      },
      reopen: async () => {},
      close: async () => {},
    };
    let flushes = 0;
    const audit = new AuditLog({ sink, log: recordingLogger().log, maxQueueBytes: 1 << 30, showArgs: false, now: () => 1_764_636_000_000, schedule: (flush) => void setTimeout(() => (flushes++, flush()), 0) });
    const expected: string[] = [];
    for (let i = 0; i < 12_000; i++) {
      const record = { ...RECORD, bytesIn: i, noun: i % 7 === 0 ? `n${i % 5}` : RECORD.noun };
      audit.record(record);
      expected.push(auditLine(record, 1_764_636_000_000, false));
      if (i % 500 === 0) await new Promise((resolve) => setTimeout(resolve, 0)); // writes complete between bursts
    }
    await audit.close();
    expect(changedInFlight).toBe(0);
    expect(written.join("")).toBe(expected.join(""));
    expect(audit.stats).toEqual({ written: 12_000, dropped: 0 });
    // ~3 MiB of lines went through at most the spare chunks and the ones being filled.
    expect(buffers.size).toBeLessThanOrEqual(AUDIT_SPARE_CHUNKS + 2); // was ${buffers.size}
    expect(flushes).toBeGreaterThan(0);
  });
});

describe("the time of a line from the caller's clock reading", () => {
  test("a reading plus the wall clock's offset, read again only once the offset is WALL_CLOCK_REFRESH_MS old", async () => {
    const written: string[] = [];
    const sink: AuditSink = { name: "memory", write: async (bytes) => void written.push(new TextDecoder().decode(bytes)), reopen: async () => {}, close: async () => {} };
    let wall = 1_764_636_000_000;
    const audit = new AuditLog({ sink, log: recordingLogger().log, maxQueueBytes: 1 << 20, showArgs: false, now: () => wall, schedule: () => {} });
    const start = performance.now();
    audit.record(RECORD, start);
    wall += 600_000; // the wall clock jumps: not seen until the offset is read again
    audit.record(RECORD, start + 400);
    audit.record(RECORD, start + WALL_CLOCK_REFRESH_MS + 400); // read again: the jump shows
    await audit.flushed();
    const times = written.join("").trim().split("\n").map((line) => Date.parse(JSON.parse(line).time));
    const first = 1_764_636_000_000;
    expect(Math.abs(times[0]! - first)).toBeLessThan(50); // the offset was read a moment after `start`
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(399); // the same offset (ms floored)
    expect(times[1]! - times[0]!).toBeLessThanOrEqual(401);
    expect(Math.abs(times[2]! - (wall + WALL_CLOCK_REFRESH_MS + 400))).toBeLessThan(50); // times were ${times.join(", ")}
  });
});
