/** Audit lines written as bytes: the cached second prefix, numbers, any text, the size bound, and chunks written in order. */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { AUDIT_BATCH_BYTES, AuditLog, auditLine, encodeAuditLine, maxLineBytes, type AuditRecord, type AuditSink } from "../../../src/audit/index.ts";
import { recordingLogger } from "../../support/index.ts";

const RECORD: AuditRecord = {
  direction: "out",
  cn: "edge-7",
  verb: "GET",
  noun: "time",
  caller: undefined,
  code: 0,
  status: 200,
  bytesIn: 0,
  bytesOut: 22,
  durationMs: 0.5,
  rule: undefined,
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
};

const parse = (line: string) => JSON.parse(line) as Record<string, unknown>;

describe("the time of a line", () => {
  test("milliseconds after a cached second prefix, right across second and year boundaries", () => {
    for (const ms of [0, 7, 999, 1_000, 1_001, 59_999, 1_764_636_969_123, 1_767_225_599_999, 1_767_225_600_000]) {
      expect(parse(auditLine(RECORD, ms, false))["time"]).toBe(new Date(ms).toISOString());
    }
    // Back in time (a clock step) as well as forward.
    expect(parse(auditLine(RECORD, 5_000, false))["time"]).toBe("1970-01-01T00:00:05.000Z");
    expect(parse(auditLine(RECORD, 4_999, false))["time"]).toBe("1970-01-01T00:00:04.999Z");
  });
});

describe("numbers", () => {
  test("durations keep three decimals; integers of any size; a non-finite number is written 0, never invalid JSON", () => {
    const line = auditLine({ ...RECORD, durationMs: 3.14159, code: 4_294_967_295, status: 504, bytesIn: 7, bytesOut: 123_456_789, rule: 0 }, 0, false);
    expect(parse(line)).toMatchObject({ duration_ms: 3.142, code: 4_294_967_295, status: 504, bytes_in: 7, bytes_out: 123_456_789, rule: 0 });
    expect(parse(auditLine({ ...RECORD, durationMs: Number.NaN, bytesIn: Number.POSITIVE_INFINITY }, 0, false))).toMatchObject({ duration_ms: 0, bytes_in: 0 });
    expect(parse(auditLine({ ...RECORD, durationMs: 9.0004 }, 0, false))["duration_ms"]).toBe(9);
  });
});

describe("any text", () => {
  const text = fc.string({ unit: "binary", maxLength: 64 });
  const record = fc.record({
    direction: fc.constantFrom<"in" | "out">("in", "out"),
    cn: text,
    verb: fc.oneof(text, fc.string({ unit: "grapheme-ascii", minLength: 2_040, maxLength: 2_100 })),
    noun: fc.oneof(text, fc.string({ unit: "binary", minLength: 2_040, maxLength: 2_100 })),
    caller: fc.option(text, { nil: undefined }),
    code: fc.nat(),
    status: fc.integer({ min: 100, max: 599 }),
    bytesIn: fc.nat(),
    bytesOut: fc.nat(),
    durationMs: fc.double({ min: 0, max: 1e7, noNaN: true }),
    rule: fc.option(fc.nat(), { nil: undefined }),
    traceparent: fc.option(text, { nil: undefined }),
  });

  test("every line is one JSON object that gives the texts back, within maxLineBytes", () => {
    fc.assert(
      fc.property(record, fc.boolean(), fc.integer({ min: 0, max: 4_102_444_800_000 }), (r, showArgs, ms) => {
        const out = new Uint8Array(maxLineBytes(r) + 8).fill(0xff);
        const end = encodeAuditLine(r, ms, showArgs, out, 4);
        expect(end - 4).toBeLessThanOrEqual(maxLineBytes(r));
        expect(out[end]).toBe(0xff); // nothing written past the end it reports
        const line = new TextDecoder().decode(out.subarray(4, end));
        expect(line.indexOf("\n")).toBe(line.length - 1);
        const parsed = parse(line);
        expect([parsed["cn"], parsed["caller"] ?? undefined, parsed["traceparent"] ?? undefined]).toEqual([r.cn.toWellFormed(), r.caller?.toWellFormed(), r.traceparent?.toWellFormed()]);
        if (r.verb.length <= 2_048) expect(parsed["verb"]).toBe(r.verb.toWellFormed());
      }),
      { numRuns: 300 },
    );
  });
});

describe("repeated parts of lines", () => {
  test("lines in any sequence, each way, give back their own numbers and texts (parts copied from a recent line only when equal)", () => {
    const few = <T>(...values: T[]) => fc.constantFrom(...values);
    const record = fc.record({
      direction: few<"in" | "out">("in", "out"),
      cn: few("edge-7", "edge-8"),
      verb: few("GET", "POST"),
      noun: few("time", "files//a"),
      caller: few<string | undefined>(undefined, "app"),
      code: few(0, 252, 4_294_967_295),
      status: few(200, 403),
      bytesIn: few(0, 7),
      bytesOut: few(22, 123_456_789, Number.NaN),
      durationMs: few(0.5, 1.234),
      rule: few<number | undefined>(undefined, 0, 50),
      traceparent: few<string | undefined>(undefined, RECORD.traceparent),
    });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 30 }), (records) => {
        for (const r of records) {
          const parsed = parse(auditLine(r, 1_764_636_000_000, true));
          expect(parsed).toEqual({
            time: "2025-12-02T00:40:00.000Z",
            direction: r.direction,
            cn: r.cn,
            verb: r.verb,
            noun: r.noun,
            caller: r.caller ?? null,
            code: r.code,
            status: r.status,
            bytes_in: r.bytesIn,
            bytes_out: Number.isNaN(r.bytesOut) ? 0 : r.bytesOut,
            duration_ms: r.durationMs,
            rule: r.rule ?? null,
            traceparent: r.traceparent ?? null,
          });
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("chunks", () => {
  test("more lines than one chunk holds are all written, in order, whole", async () => {
    const writes: Uint8Array[] = [];
    const sink: AuditSink = { name: "memory", write: async (bytes) => void writes.push(bytes.slice()), reopen: async () => {}, close: async () => {} };
    const audit = new AuditLog({ sink, log: recordingLogger().log, maxQueueBytes: 8 << 20, showArgs: true, schedule: (flush) => queueMicrotask(flush) });
    const count = Math.ceil((3 * AUDIT_BATCH_BYTES) / auditLine(RECORD, 0, true).length);
    for (let i = 0; i < count; i++) audit.record({ ...RECORD, noun: `n//${i}` });
    await audit.flushed();
    const lines = writes.map((w) => new TextDecoder().decode(w)).join("").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((line) => parse(line)["noun"])).toEqual(Array.from({ length: count }, (_, i) => `n//${i}`));
    expect(writes.length).toBeGreaterThan(1);
    expect(audit.stats).toEqual({ written: count, dropped: 0 });
  });

  test("a write that fails drops its lines and those after it in the batch, not those written before", async () => {
    const writes: number[] = [];
    let release: (() => void) | undefined;
    const sink: AuditSink = {
      name: "flaky",
      write: (bytes) => {
        writes.push(new TextDecoder().decode(bytes).split("\n").length - 1);
        if (writes.length === 1) return new Promise<void>((resolve) => (release = resolve)); // held: the next batch gathers several chunks
        return writes.length === 3 ? Promise.reject(new Error("ENOSPC: no space left on device")) : Promise.resolve();
      },
      reopen: async () => {},
      close: async () => {},
    };
    const { log } = recordingLogger();
    const audit = new AuditLog({ sink, log, maxQueueBytes: 8 << 20, showArgs: true, schedule: (flush) => queueMicrotask(flush) });
    const perChunk = Math.floor(AUDIT_BATCH_BYTES / auditLine({ ...RECORD, noun: "n//000000" }, 0, true).length);
    audit.record(RECORD);
    await Promise.resolve();
    for (let i = 0; i < perChunk * 3; i++) audit.record({ ...RECORD, noun: `n//${String(i).padStart(6, "0")}` });
    release!();
    await audit.flushed();
    // The held write (1 line), then the batch in chunks: the first written, the second refused, the rest never tried.
    expect(writes.length).toBe(3);
    const total = 1 + perChunk * 3;
    expect(audit.stats.written).toBe(writes[0]! + writes[1]!);
    expect(audit.stats.dropped).toBe(total - audit.stats.written);
    expect(audit.stats.dropped).toBeGreaterThan(0);
  });
});
