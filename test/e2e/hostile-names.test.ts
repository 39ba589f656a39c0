/** Issue 13 item 4: a CN with escape sequences or a newline reaches no terminal raw: logs (text and JSON) and `rp-server clients`. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { binary, makeTestPki, NodeProcess, runBinary, startClientProcess, startServerProcess, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

const HOSTILE_CN = "evil\u001b[2J\u001b]0;owned\u0007\nINFO  client connected  client=admin\u009b31m\u202e";
const ESCAPED = "evil\\x1b[2J\\x1b]0;owned\\x07\\nINFO  client connected  client=admin\\x9b31m\\u202e";
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;

let pki: TestPki;
let textServer: ServerProcess;
let jsonServer: ServerProcess;
const clients: ClientProcess[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  const identity = await pki.client(HOSTILE_CN);
  textServer = await startServerProcess(pki.server.dir);
  jsonServer = await startServerProcess(pki.server.dir);
  clients.push(await startClientProcess(identity.dir, textServer.pipePort), await startClientProcess(identity.dir, jsonServer.pipePort));
  await textServer.proc.waitForMessage("client connected", { client: HOSTILE_CN });
  await jsonServer.proc.waitForMessage("client connected", { client: HOSTILE_CN });
});

afterAll(async () => {
  for (const client of clients) await client.proc.stop();
  await textServer?.proc.stop();
  await jsonServer?.proc.stop();
  await pki?.cleanup();
});

test("rp-server clients prints the CN escaped, on one line", async () => {
  const { code, stdout } = await runBinary("rp-server", ["clients", "--http", textServer.http.replace("http://", "")]);
  expect(code).toBe(0);
  expect(stdout).not.toMatch(RAW);
  expect(stdout).toContain(ESCAPED);
  expect(stdout.split("\n")).toHaveLength(3); // header, the one client, the count
});

test("text logs escape the CN on one line (no forged line); JSON logs carry it exactly", async () => {
  const args = ["start", "--bind", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--identity-dir", pki.server.dir];
  const text = new NodeProcess([binary("rp-server"), ...args], { RP_LOG_FORMAT: "text" });
  const listening = await text.waitForLog((r) => r.msg.includes("server listening"));
  const port = Number(/pipe=127\.0\.0\.1:(\d+)/.exec(listening.msg)![1]);
  const client = await startClientProcess((await pki.client(HOSTILE_CN)).dir, port);
  try {
    const line = await text.waitForLog((r) => r.msg.includes("client connected"));
    expect(line.msg).toContain('client="evil\\u001b[2J\\u001b]0;owned\\u0007\\nINFO  client connected  client=admin\\u009b31m\\u202e"');
  } finally {
    await client.proc.stop();
    await text.stop();
  }
  const lines = (await text.result()).stderr.split("\n");
  expect(lines.filter((l) => /^[\d:.]+ INFO  client connected /.test(l))).toHaveLength(1);
  expect(lines.some((l) => l.startsWith("INFO  client connected  client=admin"))).toBe(false); // no forged line
  for (const l of lines) expect(l).not.toMatch(RAW);
  // JSON: the same CN, exactly, once parsed.
  const record = await jsonServer.proc.waitForMessage("client connected");
  expect(record["client"]).toBe(HOSTILE_CN);
});
