/** statsd lines, names, batching and the UDP sender against a real listener on 127.0.0.1. */
import { afterEach, describe, expect, test } from "bun:test";
import { createSocket, type Socket } from "node:dgram";
import { STATSD_NAMES, StatsdRecorder, type DatagramSink } from "../../../src/metrics/index.ts";
import { HeartbeatTimeoutError, type Pipe } from "../../../src/pipe/index.ts";
import { openUdpSender } from "../../../src/platform/index.ts";

/** A sink that keeps the packets as text. */
function memorySink() {
  const packets: string[] = [];
  let closed = false;
  const sink: DatagramSink = { send: (packet) => void packets.push(new TextDecoder().decode(packet)), close: () => void (closed = true) };
  return { sink, packets, lines: () => packets.flatMap((p) => p.split("\n")), closed: () => closed };
}

/** Just enough of a pipe for pipeOpened/pipeClosed. */
function closedPipe(error?: Error): Pipe {
  return { peer: { name: "c", remoteAddress: "x" }, status: { state: "closed", ...(error ? { error } : {}) } } as unknown as Pipe;
}

describe("the statsd recorder", () => {
  test("the seed's message names, counters as |c and timings as |ms, with the prefix", () => {
    const { sink, lines } = memorySink();
    const statsd = new StatsdRecorder({ role: "server", sink, prefix: "rp.web1" });
    statsd.eventSent("GET", "time", 0, 1.23456);
    statsd.eventHandled("get_time", 0, 0.5);
    statsd.flush();
    expect(lines()).toEqual([
      "rp.web1.message.send.tick:1|c",
      "rp.web1.message.send.timing:1.235|ms",
      "rp.web1.message.receive.tick:1|c",
      "rp.web1.message.receive.handle.timing:0.5|ms",
      "rp.web1.message.received.handle.get_time.tick:1|c",
      "rp.web1.message.received.handle.get_time.timing:0.5|ms",
    ]);
  });

  test("no per-handler name for events no handler answered; odd characters are replaced", () => {
    const { sink, lines } = memorySink();
    const statsd = new StatsdRecorder({ role: "server", sink });
    statsd.eventHandled("get_no_such_1", 255, 1);
    statsd.eventHandled("get_a:b|c", 0, 1);
    statsd.flush();
    expect(lines().filter((line) => line.startsWith("message.received.handle."))).toEqual([
      "message.received.handle.get_a_b_c.tick:1|c",
      "message.received.handle.get_a_b_c.timing:1|ms",
    ]);
  });

  test("client connection names: new, attempt timing, connected, fail, broken, heartbeat", () => {
    const { sink, lines } = memorySink();
    const statsd = new StatsdRecorder({ role: "client", sink });
    statsd.connectAttempt();
    statsd.connectResult(false, 3);
    statsd.connectAttempt();
    statsd.connectResult(true, 4);
    statsd.heartbeat(0.25);
    statsd.pipeOpened(closedPipe());
    statsd.pipeClosed(closedPipe(new HeartbeatTimeoutError(1_000, "s")));
    statsd.flush();
    expect(lines()).toEqual([
      "client.connect.new.tick:1|c",
      "client.connect.new.attempt.timing:3|ms",
      "client.connect.fail.tick:1|c",
      "client.connect.new.tick:1|c",
      "client.connect.new.attempt.timing:4|ms",
      "client.connect.connected.tick:1|c",
      "client.connect.heartbeat.timing:0.25|ms",
      "client.connect.heartbeat.success.tick:1|c",
      "client.connect.broken.tick:1|c",
      "client.connect.heartbeat.fail.tick:1|c",
    ]);
  });

  test("server connection names", () => {
    const { sink, lines } = memorySink();
    const statsd = new StatsdRecorder({ role: "server", sink });
    statsd.pipeOpened(closedPipe());
    statsd.pipeClosed(closedPipe(new Error("reset")));
    statsd.heartbeat(1);
    statsd.flush();
    expect(lines()).toEqual([
      STATSD_NAMES.serverConnectionAdded + ":1|c",
      STATSD_NAMES.serverConnectionRemoved + ":1|c",
      STATSD_NAMES.serverHeartbeatTiming + ":1|ms",
      STATSD_NAMES.serverHeartbeatSuccess + ":1|c",
    ]);
  });

  test("lines are batched into datagrams no larger than the limit, and flushed by a timer", async () => {
    const { sink, packets } = memorySink();
    const statsd = new StatsdRecorder({ role: "client", sink, maxPacketBytes: 100, flushMs: 5 });
    for (let i = 0; i < 20; i++) statsd.eventSent("GET", "time", 0, 1);
    expect(packets.length).toBeGreaterThan(3);
    for (const packet of packets) expect(packet.length).toBeLessThanOrEqual(100);
    const before = packets.length;
    const deadline = performance.now() + 2_000;
    while (packets.length === before && performance.now() < deadline) await Bun.sleep(5);
    expect(packets.length).toBe(before + 1); // the rest, sent by the timer
    expect(packets.join("\n").split("\n")).toHaveLength(40);
  });

  test("close() flushes, closes the sink and ignores later calls", () => {
    const { sink, lines, closed } = memorySink();
    const statsd = new StatsdRecorder({ role: "client", sink });
    statsd.connectAttempt();
    statsd.close();
    statsd.connectAttempt();
    expect([lines(), closed()]).toEqual([["client.connect.new.tick:1|c"], true]);
  });
});

describe("the UDP sender", () => {
  let listener: Socket | undefined;
  afterEach(() => {
    listener?.close();
    listener = undefined;
  });

  test("delivers datagrams to a real listener on 127.0.0.1", async () => {
    const received: string[] = [];
    listener = createSocket("udp4");
    listener.on("message", (message) => received.push(message.toString("utf8")));
    await new Promise<void>((resolve) => listener!.bind(0, "127.0.0.1", resolve));
    const sender = openUdpSender("127.0.0.1", listener.address().port);
    const statsd = new StatsdRecorder({ role: "client", sink: sender });
    statsd.connectAttempt();
    statsd.close();
    const deadline = performance.now() + 2_000;
    while (received.length === 0 && performance.now() < deadline) await Bun.sleep(5);
    expect(received).toEqual(["client.connect.new.tick:1|c"]);
  });

  test("sending to a port nobody listens on is silently lossy", () => {
    const sender = openUdpSender("127.0.0.1", 9);
    expect(() => sender.send(new Uint8Array([1]))).not.toThrow();
    sender.close();
    expect(() => sender.send(new Uint8Array([1]))).not.toThrow();
  });
});
