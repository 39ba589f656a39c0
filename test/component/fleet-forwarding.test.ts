/**
 * The receiving end of a fleet peer link over in-memory pipes: link A→B,
 * B's pipe to client X. A forwarded event at X's current epoch is answered
 * by X (streamed bodies both ways); a stale epoch, a CN not held, another
 * fleet's event are refused with the status the sending front answers; X's
 * session dying mid-request is 502; a takeover notice closes the session.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { forwardedEventHandler, type ForwardedDeps } from "../../src/fleet/index.ts";
import { Pipe, type IncomingReply, type InboundHandler } from "../../src/pipe/index.ts";
import { Capability } from "../../src/wire/index.ts";
import { memoryPair, recordingLogger, waitUntil } from "../support/index.ts";

const MiB = 1024 * 1024;
const opened: Pipe[] = [];
afterEach(() => {
  for (const pipe of opened.splice(0)) pipe.close();
});

/**
 * Bytes each end was told it may free (Transport.release): poisoned (0xEE) instead, so that a buffer freed while
 * still in use corrupts the bodies checked here. The memory transport's reads are copies of their own.
 */
function poisoning(transport: object): { bytes: number } {
  const freed = { bytes: 0 };
  Object.assign(transport, {
    release: (chunk: Uint8Array) => {
      chunk.fill(0xee);
      freed.bytes += chunk.length;
    },
  });
  return freed;
}

function pipes(onEvent: InboundHandler, capabilities: string[] = []): { near: Pipe; far: Pipe; nearFreed: { bytes: number }; farFreed: { bytes: number } } {
  const [tn, tf] = memoryPair({ highWaterMark: 4 * MiB });
  const nearFreed = poisoning(tn);
  const farFreed = poisoning(tf);
  const base = { heartbeatIntervalMs: 0, heartbeatTimeoutMs: 0, capabilities };
  const near = new Pipe(tn, { peer: { name: "far", remoteAddress: "memory:far" }, onEvent: () => ({ code: 0 }), ...base });
  const far = new Pipe(tf, { peer: { name: "near", remoteAddress: "memory:near" }, onEvent, ...base });
  opened.push(near, far);
  return { near, far, nearFreed, farFreed };
}

interface Setup {
  readonly link: Pipe;
  readonly toClient: Pipe;
  readonly foreign: string[];
  readonly takeovers: string[];
  readonly counted: boolean[];
  readonly senders: string[];
  /** Bytes the receiving server's end of the link freed (poisoned): forwarded reply chunks once written. */
  readonly linkFreed: { bytes: number };
  /** Bytes the receiving server's pipe to the client freed (poisoned): forwarded request body chunks once written. */
  readonly clientPipeFreed: { bytes: number };
  readonly records: ReturnType<typeof recordingLogger>["records"];
  epoch: number;
}

async function setup(client: InboundHandler): Promise<Setup> {
  const { near: toClient, nearFreed: clientPipeFreed } = pipes(client);
  const { log, records } = recordingLogger();
  const state: Setup = { link: undefined as unknown as Pipe, toClient, foreign: [], takeovers: [], counted: [], senders: [], linkFreed: { bytes: 0 }, clientPipeFreed, records, epoch: 7 };
  const deps: ForwardedDeps = {
    fleet: "blue",
    session: async (cn) => (cn === "x" && toClient.status.state === "open" ? { pipe: toClient, epoch: state.epoch } : undefined),
    readWhole: async () => new Uint8Array(0),
    log,
    counted: (refused) => state.counted.push(refused),
    foreign: (reason) => state.foreign.push(reason),
    takeover: (cn, epoch) => state.takeovers.push(`${cn}@${epoch}`),
    sender: (id) => state.senders.push(id),
  };
  const { near: link, farFreed } = pipes(forwardedEventHandler(deps), [Capability.Fleet]);
  Object.assign(state, { link, linkFreed: farFreed });
  await waitUntil(() => link.peerCapabilities.has(Capability.Fleet) && toClient.streams, "capabilities exchanged");
  return state;
}

const forward = (link: Pipe, epoch: number, extra: { fleet?: string; target?: string } = {}) =>
  link.request({ verb: "get", noun: "who", fleet: { target: extra.target ?? "x", epoch, fleet: extra.fleet ?? "blue", sender: "srv-a" } }, { deadlineMs: 5_000 });

const text = (reply: IncomingReply) => new TextDecoder().decode(reply.data);

describe("forwarded events at the receiving server", () => {
  test("at the current epoch: answered by the client, its reply as it sent it", async () => {
    const s = await setup((event) => ({ code: 3, mimetype: "text/plain", data: new TextEncoder().encode(`hello ${event.noun}`) }));
    const reply = await forward(s.link, 7);
    expect({ code: reply.code, mimetype: reply.mimetype, data: text(reply), refusal: reply.fleetRefusal }).toEqual({ code: 3, mimetype: "text/plain", data: "hello who", refusal: undefined });
    expect(s.counted).toEqual([false]);
    await forward(s.link, 7);
    // The sender's id is told once per link: the receiver may forward back over it.
    expect(s.senders).toEqual(["srv-a"]);
  });

  test("bodies stream through both ways: 8 MiB up, the same 8 MiB back (intact though buffers freed are poisoned)", async () => {
    const s = await setup((_event, context) => ({ code: 0, mimetype: "application/octet-stream", data: new Uint8Array(0), stream: context.body! }));
    const size = 8 * MiB;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= size) return controller.close();
        const chunk = new Uint8Array(256 * 1024).fill(sent / (256 * 1024));
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const reply = await s.link.request({ verb: "post", noun: "echo", body, bodyLength: size, fleet: { target: "x", epoch: 7, fleet: "blue" } }, { deadlineMs: 30_000 });
    expect(reply.stream).toBeDefined();
    let received = 0;
    let wrong = 0;
    const reader = reply.stream!.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      for (let i = 0; i < read.value.length; i += 4096) if (read.value[i] !== Math.floor((received + i) / (256 * 1024)) % 256) wrong++;
      received += read.value.length;
    }
    expect({ received, wrong }).toEqual({ received: size, wrong: 0 });
  });

  test("a forwarded 16 MiB reply stream arrives intact, its chunks freed (poisoned) by the receiving server once written", async () => {
    const size = 16 * MiB;
    const s = await setup(() => {
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= size) return controller.close();
          const n = Math.min(size - sent, 100_000 + (sent % 77_777));
          controller.enqueue(Uint8Array.from({ length: n }, (_, i) => ((sent + i) * 31) >>> 8));
          sent += n;
        },
      });
      return { code: 0, mimetype: "application/octet-stream", data: new Uint8Array(0), stream };
    });
    const reply = await s.link.request({ verb: "get", noun: "gen", fleet: { target: "x", epoch: 7, fleet: "blue" } }, { deadlineMs: 30_000 });
    let received = 0;
    let wrong = 0;
    const reader = reply.stream!.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      for (let i = 0; i < read.value.length; i += 1021) if (read.value[i] !== (((received + i) * 31) >>> 8) % 256) wrong++;
      received += read.value.length;
    }
    expect({ received, wrong }).toEqual({ received: size, wrong: 0 });
    expect(s.linkFreed.bytes).toBeGreaterThan(size / 2); // was ${s.linkFreed.bytes}
  });

  test("a forwarded 16 MiB request body arrives intact, its chunks freed (poisoned) by the receiving server once written", async () => {
    const size = 16 * MiB;
    const pattern = (at: number) => ((at * 31) >>> 8) % 256;
    const s = await setup(async (_event, context) => {
      let received = 0;
      let wrong = 0;
      const reader = context.body!.getReader();
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        for (let i = 0; i < read.value.length; i += 1021) if (read.value[i] !== pattern(received + i)) wrong++;
        received += read.value.length;
      }
      return { code: 0, mimetype: "application/json", data: new TextEncoder().encode(JSON.stringify({ received, wrong })) };
    });
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= size) return controller.close();
        const n = Math.min(size - sent, 100_000 + (sent % 77_777));
        controller.enqueue(Uint8Array.from({ length: n }, (_, i) => pattern(sent + i)));
        sent += n;
      },
    });
    const reply = await s.link.request({ verb: "post", noun: "sink", body, bodyLength: size, fleet: { target: "x", epoch: 7, fleet: "blue" } }, { deadlineMs: 30_000 });
    expect(JSON.parse(text(reply))).toEqual({ received: size, wrong: 0 });
    expect(s.clientPipeFreed.bytes).toBeGreaterThan(size / 2); // was ${s.clientPipeFreed.bytes}
  });

  test("a stale epoch or a CN not held here is refused with 503, the client never asked", async () => {
    let asked = 0;
    const s = await setup(() => {
      asked++;
      return { code: 0 };
    });
    const stale = await forward(s.link, 6);
    expect({ status: stale.fleetStatus, refusal: stale.fleetRefusal }).toEqual({
      status: 503,
      refusal: 'Cannot answer for "x" at epoch 6: its session here is at epoch 7; the sender routes again',
    });
    const absent = await forward(s.link, 7, { target: "y" });
    expect(absent.fleetRefusal).toBe('Cannot answer for "y" at epoch 7: it is not connected here (any more); the sender routes again');
    expect({ asked, counted: s.counted }).toEqual({ asked: 0, counted: [true, true] });
  });

  test("another fleet's event is refused, the link named foreign, with a log line saying which setting to align", async () => {
    const s = await setup(() => ({ code: 0 }));
    const reply = await forward(s.link, 7, { fleet: "green" });
    const reason = 'Cannot take forwarded events: the sending server is in fleet "green", this one in "blue"; set RP_SERVER_FLEET alike on both';
    expect({ status: reply.fleetStatus, refusal: reply.fleetRefusal, foreign: s.foreign }).toEqual({ status: 503, refusal: reason, foreign: [reason] });
    expect(s.records.some((r) => r.msg === "refused a fleet peer" && r.fields["reason"] === reason)).toBe(true);
  });

  test("the client's session dying mid-request is a 502 refusal; a takeover notice reaches the owner", async () => {
    const s = await setup(() => new Promise(() => {}));
    const pending = forward(s.link, 7);
    await waitUntil(() => s.toClient.inFlight === 1, "the event reached the client");
    s.toClient.close(new Error("gone"));
    const reply = await pending;
    expect(reply.fleetStatus).toBe(502);
    expect(reply.fleetRefusal).toContain("closed");
    await s.link.request({ verb: "post", noun: "_fleet/takeover", fleet: { target: "x", epoch: 9, fleet: "blue", takeover: true } });
    expect(s.takeovers).toEqual(["x@9"]);
  });
});
