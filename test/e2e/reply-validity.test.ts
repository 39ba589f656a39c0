/**
 * Invalid replies on the compiled binaries (issue 12, item 4): a handler's
 * bad reply code is its own 251 naming the value, never a hung request or a
 * dead pipe; a peer that sends what no RestPipe peer sends (no code, a code
 * only the front uses, a mimetype that cannot be a header) is reported as
 * that peer's error (502), and the pipe keeps serving.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { bunRuntime } from "../../src/runtime/bun/index.ts";
import { decodeMessage, encodeFrame, encodeMessage, FrameDecoder, FrameType } from "../../src/wire/index.ts";
import { makeTestPki, startConnectedPair, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

const EDGE_HANDLERS = fileURLToPath(new URL("../fixtures/edge-handlers.ts", import.meta.url));

let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  ({ server, client } = await startConnectedPair(pki.server.dir, await pki.client("coder"), {
    serverEnv: { RP_EVENT_HANDLER: EDGE_HANDLERS, RP_SERVER_REQUEST_TIMEOUT_S: "5" },
    clientEnv: { RP_EVENT_HANDLER: EDGE_HANDLERS, RP_CLIENT_REQUEST_TIMEOUT_S: "5" },
  }));
});

afterAll(async () => {
  await Promise.all([client?.proc.stop(), server?.proc.stop()]);
  await pki?.cleanup();
});

async function get(url: string) {
  const response = await fetch(url, { signal: AbortSignal.timeout(8_000) });
  return { status: response.status, code: response.headers.get("x-event-return-code"), body: await response.text() };
}

describe("a handler's reply code", () => {
  const range = "a reply code is a whole number from 0 to 4294967295; pass one to ctx.reply";
  for (const [code, shown] of [
    ["-1", "-1"],
    ["1.5", "1.5"],
    ["NaN", "NaN"],
    ["4294967296", "4294967296"],
    ["undefined", "undefined"],
  ]) {
    test(`${code}: 500, code 251 naming the value, through both fronts; the pipe stays up`, async () => {
      for (const url of [`${server.http}/client/coder/code//${code}`, `${client.http}/server/code//${code}`]) {
        const answer = await get(url);
        expect({ url, status: answer.status, code: answer.code }).toEqual({ url, status: 500, code: "251" });
        expect(JSON.parse(answer.body).exception).toEqual({ message: `Cannot reply with code ${shown}: ${range}`, class: "InvalidReplyError" });
      }
      expect((await get(`${server.http}/client/coder/code//7`)).code).toBe("7");
      expect((await get(`${client.http}/server/code//4294967295`)).code).toBe("4294967295");
    });
  }

  test("nothing but log lines on either node's standard error (no stack of an unhandled error)", () => {
    for (const node of [server, client]) expect(node.proc.logs.filter((record) => !("level" in record)).map((record) => record.msg)).toEqual([]);
  });

  test("250-255 are RestPipe's: 500, code 251 explaining", async () => {
    const answer = await get(`${server.http}/client/coder/code//254`);
    expect([answer.status, answer.code]).toEqual([500, "251"]);
    expect(JSON.parse(answer.body).exception.message).toBe(
      "Cannot reply with code 254: codes 250-255 are reserved for RestPipe; use a code below 250 or above 255 (or throw, for a 251)",
    );
  });
});

describe("a peer sending replies no RestPipe peer sends", () => {
  /** Connects as "mallory" (a good certificate) and answers each event by its noun with a hand-made reply. */
  async function mallory(replies: Record<string, { mimetype?: string; code?: number | "none" }>) {
    const transport = await bunRuntime.connectTls({ hostname: "127.0.0.1", port: server.pipePort, identity: await pki.client("mallory"), serverName: "localhost", timeoutMs: 5_000 });
    const decoder = new FrameDecoder();
    let closed = false;
    const send = (type: typeof FrameType.EventReply | typeof FrameType.HeartbeatReply, id: number, message: object) =>
      transport.write(encodeFrame(type, id, encodeMessage({ type, message } as never)));
    transport.start({
      data: (chunk) => {
        for (const frame of decoder.push(chunk)) {
          if (frame.type === FrameType.Heartbeat) send(FrameType.HeartbeatReply, frame.id, { version: 1, capabilities: [] });
          if (frame.type !== FrameType.Event) continue;
          const noun = (decodeMessage(frame).message as { noun?: string }).noun ?? "";
          const { code = 0, mimetype = "text/plain" } = replies[noun] ?? {};
          const reply = { version: 1, mimetype, data: new TextEncoder().encode("from mallory"), ...(code === "none" ? {} : { code }) };
          send(FrameType.EventReply, frame.id, reply);
        }
      },
      drain: () => {},
      closed: () => (closed = true),
    });
    await server.proc.waitForMessage("client connected", { client: "mallory" });
    return { transport, isClosed: () => closed };
  }

  test("no code, code 253 or 254, a mimetype with CR/LF/NUL or over 1 KiB: 502 naming the peer's error; the pipe keeps serving", async () => {
    const peer = await mallory({
      nocode: { code: "none" },
      timeout: { code: 253 },
      lost: { code: 254 },
      crlf: { mimetype: "text/plain\r\nSet-Cookie: a=b" },
      nul: { mimetype: "text/plain\0" },
      long: { mimetype: `text/${"x".repeat(1100)}` },
    });
    try {
      const seen: Record<string, { status: number; code: string | null; error: string }> = {};
      for (const noun of ["nocode", "timeout", "lost", "crlf", "nul", "long"]) {
        const answer = await get(`${server.http}/client/mallory/${noun}`);
        seen[noun] = { status: answer.status, code: answer.code, error: JSON.parse(answer.body).error };
      }
      console.log(seen);
      for (const answer of Object.values(seen)) expect([answer.status, answer.code]).toEqual([502, "254"]);
      expect(seen["nocode"]!.error).toMatch(
        /^Cannot use the reply from mallory: the peer sent an invalid reply \(Cannot accept EventReply \d+: code is missing\); fix the peer \(its handler or its RestPipe\)$/,
      );
      expect(seen["lost"]!.error).toBe(
        "Cannot use the reply from mallory: the peer sent reply code 254, which RestPipe keeps for its front and never sends over the pipe; fix the peer (its handler or its RestPipe)",
      );
      for (const noun of ["crlf", "nul", "long"]) expect(seen[noun]!.error).toStartWith("Cannot use the reply from mallory: the peer sent an invalid mimetype (");
      const good = await get(`${server.http}/client/mallory/fine`);
      expect([good.status, good.body]).toEqual([200, "from mallory"]);
      expect(peer.isClosed()).toBe(false);
      await server.proc.waitForMessage("peer sent an unusable reply");
    } finally {
      peer.transport.close();
    }
  });
});
