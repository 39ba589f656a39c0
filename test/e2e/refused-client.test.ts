/**
 * A client the server refuses (a certificate from another CA: under TLS 1.3
 * its handshake looks good, then the server closes) never registers its
 * pipe: requests held at its front wait the whole RP_CLIENT_SERVER_WAIT_S
 * for the documented 503, instead of going out on the doomed connection and
 * failing with 502 (issue 12, item 5).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { FAST_RETRY, makeTestPki, startClientProcess, startServerProcess, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

const WAIT_S = 3;
let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;

beforeAll(async () => {
  pki = await makeTestPki();
  server = await startServerProcess(pki.server.dir);
  client = await startClientProcess((await pki.foreignClient("intruder")).dir, server.pipePort, { ...FAST_RETRY, RP_CLIENT_SERVER_WAIT_S: String(WAIT_S) });
});

afterAll(async () => {
  await Promise.all([client?.proc.stop(), server?.proc.stop()]);
  await pki?.cleanup();
});

test("requests held at a refused client's front get 503 after the wait, none a 502", async () => {
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      await Bun.sleep(i * 250); // spread over several refused connection attempts
      const response = await fetch(`${client.http}/server/time`, { signal: AbortSignal.timeout(WAIT_S * 1_000 + 10_000) });
      return { status: response.status, code: response.headers.get("x-event-return-code"), body: await response.text(), ms: Math.round(performance.now() - started - i * 250) };
    }),
  );
  console.log(answers.map((a) => `${a.status} after ${a.ms} ms`).join(", "));
  for (const answer of answers) {
    expect({ status: answer.status, code: answer.code, body: answer.body }).toEqual({
      status: 503,
      code: "250",
      body: JSON.stringify({ error: `Cannot reach "server": not connected (waited ${WAIT_S} s)` }),
    });
    expect(answer.ms).toBeGreaterThanOrEqual(WAIT_S * 1_000 - 50); // was ${answer.ms}
  }
  // It was refused, again and again, meanwhile (the log has the first failure; later ones go into summaries).
  expect(client.proc.logs.filter((r) => r.msg === "cannot connect to the server").length).toBe(1);
  const status = (await (await fetch(`${client.http}/_rp/status.json`)).json()) as { status: { attempt?: number } };
  expect(status.status.attempt ?? 0).toBeGreaterThan(1);
  expect(client.proc.logs.some((r) => r.msg === "connected to the server")).toBe(false);
}, 30_000);
