/**
 * Caller tag, trace context and policy refusals between pipes: carried to a
 * peer that lists the caller-ctx capability, never sent to an original v1
 * peer (which sees the bytes it always saw), and a guarded dispatcher that
 * refuses before any handler runs and writes its audit line.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { AuditLog, type AuditSink } from "../../src/audit/index.ts";
import type { Dispatcher } from "../../src/dispatch/index.ts";
import { guardDispatcher } from "../../src/node/index.ts";
import { compilePolicy, parsePolicy } from "../../src/policy/index.ts";
import { Pipe } from "../../src/pipe/index.ts";
import { decodeMessage, encodeFrame, encodeMessage, FrameDecoder, FrameType, type Event } from "../../src/wire/index.ts";
import { memoryPair, recordingLogger, waitUntil } from "../support/index.ts";

const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

const CONTEXT = { caller: "billing-app", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: "rp=1" };

/** A hand-driven peer: announces `capabilities` in a heartbeat, records the raw Event bodies it gets, answers with `deniedByRule` set. */
function peerWith(capabilities: string[]) {
  const [ta, tb] = memoryPair();
  const pipe = new Pipe(ta, { peer: { name: "peer", remoteAddress: "memory" }, onEvent: () => ({ code: 0 }), heartbeatIntervalMs: 0 });
  opened.push(pipe);
  const decoder = new FrameDecoder();
  const events: Uint8Array[] = [];
  const replies: unknown[] = [];
  tb.start({
    data: (chunk) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type === FrameType.Event) {
          events.push(frame.body);
          const reply = encodeMessage({ type: FrameType.EventReply, message: { version: 1, code: 252, deniedByRule: 3 } });
          tb.write(encodeFrame(FrameType.EventReply, frame.id, reply));
        }
        if (frame.type === FrameType.EventReply) replies.push(decodeMessage(frame).message);
      }
    },
    drain: () => {},
    closed: () => {},
  });
  tb.write(encodeFrame(FrameType.Heartbeat, 1, encodeMessage({ type: FrameType.Heartbeat, message: { version: 1, capabilities } })));
  return { pipe, events, replies, send: (bytes: Uint8Array) => tb.write(bytes) };
}

describe("caller context on the wire", () => {
  test("a v1 peer (no capabilities) gets exactly the old bytes: no caller, no trace context", async () => {
    const peer = peerWith([]);
    await peer.pipe.ready;
    const reply = await peer.pipe.request({ verb: "get", noun: "time", ...CONTEXT });
    const v1: Event = { version: 1, verb: "get", noun: "time", mimetype: "", data: new Uint8Array(0) };
    expect(peer.events[0]).toEqual(encodeMessage({ type: FrameType.Event, message: v1 }));
    expect(reply.deniedByRule).toBe(3); // what a peer sends is read either way
  });

  test("a peer listing caller-ctx gets the caller tag and the trace context", async () => {
    const peer = peerWith(["goaway", "event-ext", "caller-ctx"]);
    await peer.pipe.ready;
    await peer.pipe.request({ verb: "get", noun: "time", ...CONTEXT });
    const event = decodeMessage({ type: FrameType.Event, flags: 0, id: 1, body: peer.events[0]! }).message as Event;
    expect({ caller: event.caller, traceparent: event.traceparent, tracestate: event.tracestate }).toEqual(CONTEXT);
  });

  test("denied_by_rule in a reply goes only to a peer listing caller-ctx", async () => {
    for (const [capabilities, expected] of [[[], undefined], [["caller-ctx"], 7]] as const) {
      const [ta, tb] = memoryPair();
      const pipe = new Pipe(ta, { peer: { name: "peer", remoteAddress: "memory" }, onEvent: () => ({ code: 252, deniedByRule: 7 }), heartbeatIntervalMs: 0 });
      opened.push(pipe);
      const decoder = new FrameDecoder();
      const replies: Array<Record<string, unknown>> = [];
      tb.start({
        data: (chunk) => {
          for (const frame of decoder.push(chunk)) if (frame.type === FrameType.EventReply) replies.push(decodeMessage(frame).message as Record<string, unknown>);
        },
        drain: () => {},
        closed: () => {},
      });
      tb.write(encodeFrame(FrameType.Heartbeat, 1, encodeMessage({ type: FrameType.Heartbeat, message: { version: 1, capabilities: [...capabilities] } })));
      tb.write(encodeFrame(FrameType.Event, 5, encodeMessage({ type: FrameType.Event, message: { version: 1, verb: "get", noun: "x" } })));
      await waitUntil(() => replies.length === 1, "a reply");
      expect(replies[0]!["deniedByRule"]).toBe(expected);
    }
  });
});

/** An audit sink in memory. */
function memorySink(): AuditSink & { text: string } {
  const sink = { name: "memory", text: "", write: async (bytes: Uint8Array) => void (sink.text += new TextDecoder().decode(bytes)), reopen: async () => {}, close: async () => {} };
  return sink;
}

describe("the guarded dispatcher", () => {
  const policy = compilePolicy(
    parsePolicy({ rules: [{ cn: "edge-*", action: "allow" }, { cn: "edge-7", handler: "get_secrets", action: "deny" }], default: "deny" }),
    (verb, noun) => `${verb}_${noun}`,
  );
  const context = (name: string) => ({ peer: { name, remoteAddress: "memory" }, signal: new AbortController().signal });

  test("a denied event never reaches the handler: 252 with the rule, counted, audited", async () => {
    const seen: string[] = [];
    const denied: number[] = [];
    const inner: Dispatcher = async (event) => (seen.push(event.noun!), { code: 0, data: new Uint8Array(2) });
    const sink = memorySink();
    const audit = new AuditLog({ sink, log: recordingLogger().log, maxQueueBytes: 65_536, showArgs: false });
    const guarded = guardDispatcher(inner, { policy: () => policy, audit, onDenied: (rule) => denied.push(rule) });
    const refused = await guarded({ version: 1, verb: "get", noun: "secrets", caller: "app" }, context("edge-7"));
    expect({ code: refused.code, rule: refused.deniedByRule, data: new TextDecoder().decode(refused.data) }).toEqual({
      code: 252,
      rule: 2,
      data: '{"error":"Cannot call get_secrets: denied by policy rule 2 for \\"edge-7\\""}',
    });
    const byDefault = await guarded({ version: 1, verb: "get", noun: "time" }, context("other"));
    expect(byDefault.deniedByRule).toBe(0);
    const allowed = await guarded({ version: 1, verb: "get", noun: "time" }, context("edge-1"));
    expect(allowed.code).toBe(0);
    expect(seen).toEqual(["time"]);
    expect(denied).toEqual([2, 0]);
    await audit.flushed();
    const lines = sink.text.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => [l["cn"], l["code"], l["status"], l["rule"], l["caller"]])).toEqual([
      ["edge-7", 252, 403, 2, "app"],
      ["other", 252, 403, 0, null],
      ["edge-1", 0, 200, 1, null],
    ]);
    expect(lines[2]!["bytes_out"]).toBe(2);
    for (const line of lines) expect(String(line["traceparent"])).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/); // made when absent
  });

  test("a caller tag from the peer that breaks the rules is refused with 252 and the reason", async () => {
    const guarded = guardDispatcher(async () => ({ code: 0 }), { policy: () => policy });
    const reply = await guarded({ version: 1, verb: "get", noun: "time", caller: "a\u0001b" }, context("edge-1"));
    expect(reply.code).toBe(252);
    expect(new TextDecoder().decode(reply.data)).toContain("Cannot accept X-RestPipe-Caller: character 2 is not printable ASCII (code 1)");
  });
});
