/**
 * Fuzzed frames over real mTLS on 127.0.0.1: a client with a good
 * certificate sends garbage (or a valid header and then closes). The server
 * closes that connection with the reason logged, while another client keeps
 * serving requests through both fronts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import { startClient, type RunningClient } from "../../src/client/index.ts";
import { loadClientConfig, loadServerConfig } from "../../src/config/index.ts";
import { createDispatcher, exampleHandlers } from "../../src/dispatch/index.ts";
import { bunRuntime } from "../../src/runtime/bun/index.ts";
import type { Transport } from "../../src/pipe/index.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { encodeFrame, encodeMessage, FrameType, HEADER_LENGTH, TruncatedFrameError } from "../../src/wire/index.ts";
import {
  firstProtocolError,
  FUZZ_TEST_TIMEOUT_MS,
  FuzzTally,
  makeTestPki,
  mutatedStreamArb,
  recordingLogger,
  unknownTypeArb,
  type FileIdentity,
  type LogEntry,
  type TestPki,
} from "../support/index.ts";

const tally = new FuzzTally("pipe (real TLS)");
let pki: TestPki;
let mallory: FileIdentity;
let server: RunningServer;
let client: RunningClient;
let maxFrameBytes: number;
const serverLog = recordingLogger();

beforeAll(async () => {
  pki = await makeTestPki();
  mallory = await pki.client("mallory");
  const env = { RP_SERVER_HEARTBEAT_INTERVAL_S: "0", RP_SERVER_BIND_INTERFACE: "127.0.0.1", RP_SERVER_BIND_PORT: "0", RP_SERVER_HTTP_BIND: "127.0.0.1:0" };
  const config = loadServerConfig({ env });
  maxFrameBytes = config.maxFrameBytes;
  server = startServer(config, {
    runtime: bunRuntime,
    identity: pki.server,
    dispatcher: createDispatcher(exampleHandlers("server")),
    log: serverLog.log,
  });
  const connected = new Promise<void>((resolve) => server.registry.subscribe((change) => change.kind === "added" && change.pipe.peer.name === "good" && resolve()));
  const clientConfig = loadClientConfig({
    env: {
      RP_CLIENT_TARGET_HOSTNAME: "127.0.0.1",
      RP_CLIENT_SERVER_NAME: "localhost",
      RP_CLIENT_TARGET_PORT: String(server.listener.port),
      RP_CLIENT_HTTP_BIND: "127.0.0.1:0",
      RP_CLIENT_HEARTBEAT_INTERVAL_S: "0",
    },
  });
  client = startClient(clientConfig, {
    runtime: bunRuntime,
    identity: await pki.client("good"),
    dispatcher: createDispatcher(exampleHandlers("client")),
    log: recordingLogger().log,
  });
  await connected;
});

afterAll(async () => {
  tally.report();
  await client?.stop();
  await server?.stop();
  await pki?.cleanup();
});

/** A TLS connection as "mallory" (a good certificate), and a promise of its close. */
async function connectAsMallory(): Promise<{ transport: Transport; closed: Promise<void> }> {
  const transport = await bunRuntime.connectTls({ hostname: "127.0.0.1", port: server.listener.port, identity: mallory, serverName: "localhost", timeoutMs: 5_000 });
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  transport.start({ data: () => {}, drain: () => {}, closed: () => resolve() });
  return { transport, closed };
}

/** Resolves when the server has logged `count` protocol errors for mallory, with their reasons. */
async function protocolErrors(count: number): Promise<unknown[]> {
  const matching = (r: LogEntry) => r.msg === "closing pipe: protocol error from peer" && r.fields["client"] === "mallory";
  for (let waited = 0; serverLog.records.filter(matching).length < count; waited += 5) {
    if (waited > 5_000) throw new Error(`no protocol error logged within 5 s; log: ${JSON.stringify(serverLog.records.slice(-5))}`);
    await Bun.sleep(5);
  }
  return serverLog.records.filter(matching).map((r) => r.fields["reason"]);
}

async function othersStillServed(): Promise<void> {
  const viaServer = await fetch(`${server.front.server.url}/client/good/cat//still/%20here`);
  expect(await viaServer.json()).toEqual({ result_from_client: "still here" });
  const viaClient = await fetch(`${client.front.server.url}/server/cat//and/%20back`);
  expect(await viaClient.json()).toEqual({ result_from_server: "and back" });
}

const hostileArb = fc.oneof(
  fc.tuple(unknownTypeArb, fc.uint8Array({ minLength: 9, maxLength: 40 })).map(([type, rest]) => new Uint8Array([type, ...rest])),
  mutatedStreamArb.filter((bytes) => firstProtocolError(bytes, maxFrameBytes) !== undefined),
  fc.constant(new Uint8Array([FrameType.Event, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1])), // a 4 GiB body announced
);

describe("a hostile client over real mTLS", () => {
  test("garbage closes that connection with the reason logged; the other client keeps working", async () => {
    const seen: string[] = [];
    await tally.checkAsync(
      fc.asyncProperty(hostileArb, async (bytes) => {
        const { transport, closed } = await connectAsMallory();
        transport.write(bytes);
        await closed;
        seen.push(firstProtocolError(bytes, maxFrameBytes)!.message);
        expect(await protocolErrors(seen.length)).toEqual(seen);
        await othersStillServed();
      }),
      100,
    );
  }, FUZZ_TEST_TIMEOUT_MS);

  test("a valid header and then a close: the truncation is logged; the other client keeps working", async () => {
    const before = (await protocolErrors(0)).length;
    const { transport, closed } = await connectAsMallory();
    const frame = encodeFrame(FrameType.Event, 7, encodeMessage({ type: FrameType.Event, message: { version: 1, verb: "get", noun: "time" } }));
    transport.write(frame.subarray(0, HEADER_LENGTH + 2));
    transport.close();
    await closed;
    const reasons = await protocolErrors(before + 1);
    expect(reasons.at(-1)).toBe(new TruncatedFrameError(HEADER_LENGTH + 2, frame.length).message);
    await othersStillServed();
  }, FUZZ_TEST_TIMEOUT_MS);
});
