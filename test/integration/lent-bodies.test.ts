/**
 * Lent reply bodies over real mTLS and the real HTTP front (Bun.serve). The
 * front lends a streamed reply's chunks to Bun.serve as views of the read
 * buffers, which are freed once Bun.serve pulls the next chunk
 * (Runtime.httpLendsBodies: it must be done with a chunk by then). Here every
 * buffer the pipe frees is poisoned (filled with 0xEE, left in place) instead
 * of freed, so that a chunk still in use when it is given back reaches the
 * caller as 0xEE bytes, and the SHA-256 of a 64 MiB reply read at full speed
 * and by a rate-limited reader (curl --limit-rate: Bun.serve then waits on
 * the socket) says so.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startClient, type RunningClient } from "../../src/client/index.ts";
import { loadClientConfig, loadServerConfig } from "../../src/config/index.ts";
import { createDispatcher, type HandlerContext } from "../../src/dispatch/index.ts";
import type { Transport } from "../../src/pipe/index.ts";
import { bunRuntime } from "../../src/runtime/bun/index.ts";
import type { Runtime } from "../../src/runtime/index.ts";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { makeTestPki, recordingLogger, type TestPki } from "../support/index.ts";
import { streamSha256 } from "../support/digest.ts";

const MiB = 1024 * 1024;
const BODY_BYTES = 64 * MiB;

/** Bytes freed by the pipes (poisoned instead). */
let poisoned = 0;

/** The transport's `release` poisons the buffer instead of freeing it. */
function poisoning(transport: Transport): Transport {
  const target = transport as Transport & { release?: (chunk: Uint8Array) => void };
  if (target.release === undefined) throw new Error("this test needs a transport that frees buffers (Bun's)");
  target.release = (chunk) => {
    chunk.fill(0xee);
    poisoned += chunk.length;
  };
  return transport;
}

/** Bun's runtime, lending reply bodies to Bun.serve (off by default), with every transport poisoning what it is told to free. */
const runtime: Runtime = {
  ...bunRuntime,
  httpLendsBodies: true,
  listenTls: (options) => bunRuntime.listenTls({ ...options, onConnection: (transport) => options.onConnection(poisoning(transport)) }),
  connectTls: async (options) => poisoning(await bunRuntime.connectTls(options)),
};

const SOURCE = (() => {
  const bytes = new Uint8Array(2 * MiB);
  let x = 2463534242 >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
})();

/** The body's chunks, each different: sizes from 1 byte to 1 MiB, from shifting places of SOURCE. */
function* chunks(total: number): Generator<Uint8Array> {
  let sent = 0;
  for (let k = 0; sent < total; k++) {
    const size = Math.min(total - sent, 1 + ((k * 104_729) % MiB));
    const at = (k * 7_919) % MiB;
    yield SOURCE.subarray(at, at + size);
    sent += size;
  }
}

function expectedSha256(total: number): string {
  const hash = new Bun.CryptoHasher("sha256");
  for (const chunk of chunks(total)) hash.update(chunk);
  return hash.digest("hex");
}

const handlers = {
  /** `GET gen//<n>`: n bytes as a stream. */
  get_gen(ctx: HandlerContext, _body: unknown, size = "0") {
    const source = chunks(Number(size));
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const next = source.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        },
      },
      { highWaterMark: 0 },
    );
    return ctx.reply("application/octet-stream", 0, stream);
  },
};

let pki: TestPki;
let server: RunningServer;
let client: RunningClient;
let front: string;

beforeAll(async () => {
  pki = await makeTestPki();
  const config = loadServerConfig({
    env: { RP_SERVER_HEARTBEAT_INTERVAL_S: "1", RP_SERVER_BIND_INTERFACE: "127.0.0.1", RP_SERVER_BIND_PORT: "0", RP_SERVER_HTTP_BIND: "127.0.0.1:0" },
  });
  server = startServer(config, { runtime, identity: pki.server, dispatcher: createDispatcher({}), log: recordingLogger().log });
  const connected = new Promise<void>((resolve) => server.registry.subscribe((change) => change.kind === "added" && change.pipe.peer.name === "files" && resolve()));
  const clientConfig = loadClientConfig({
    env: {
      RP_CLIENT_TARGET_HOSTNAME: "127.0.0.1",
      RP_CLIENT_SERVER_NAME: "localhost",
      RP_CLIENT_TARGET_PORT: String(server.listener.port),
      RP_CLIENT_HTTP_BIND: "127.0.0.1:0",
      RP_CLIENT_HEARTBEAT_INTERVAL_S: "1",
    },
  });
  client = startClient(clientConfig, { runtime, identity: await pki.client("files"), dispatcher: createDispatcher(handlers), log: recordingLogger().log });
  await connected;
  front = server.front.server.url;
  // Heartbeats exchanged: both ends know the peer speaks streams.
  for (let i = 0; i < 100 && !(server.registry.get("files")?.streams ?? false); i++) await Bun.sleep(50);
});

afterAll(async () => {
  await client?.stop();
  await server?.stop();
  await pki?.cleanup();
});

const expected = expectedSha256(BODY_BYTES);

const digest = streamSha256;

test("a 64 MiB reply read at full speed is intact though every buffer the pipes free is poisoned", async () => {
  const before = poisoned;
  const response = await fetch(`${front}/client/files/gen//${BODY_BYTES}`);
  expect(response.status).toBe(200);
  const { bytes, sha256 } = await digest(response.body!);
  expect(bytes).toBe(BODY_BYTES);
  expect(sha256).toBe(expected);
  expect(poisoned - before).toBeGreaterThan(BODY_BYTES / 2); // the reads were freed (poisoned), not left to the collector
}, 60_000);

test("a 64 MiB reply read by curl at 24 MB/s (Bun.serve waits on the socket) is intact though freed buffers are poisoned", async () => {
  const before = poisoned;
  const curl = Bun.spawn(["curl", "-sS", "--limit-rate", "24000000", "--max-time", "30", "-o", "-", `${front}/client/files/gen//${BODY_BYTES}`], { stdout: "pipe", stderr: "pipe" });
  const { bytes, sha256 } = await digest(curl.stdout);
  expect(await curl.exited).toBe(0);
  expect(bytes).toBe(BODY_BYTES);
  expect(sha256).toBe(expected);
  expect(poisoned - before).toBeGreaterThan(BODY_BYTES / 2);
}, 60_000);
