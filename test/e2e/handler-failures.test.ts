/**
 * Issue 13 item 10: a handler's exception is logged at warn on the node that ran it (handler name, full message),
 * the caller's copy stays redacted; a module with no handler name warns at start; a 404 names the handler it looked for.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FIXTURE_HANDLERS, makeTestPki, startConnectedPair, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";

let pki: TestPki;
let server: ServerProcess;
let client: ClientProcess;
let emptyModule: string;

beforeAll(async () => {
  pki = await makeTestPki();
  emptyModule = join(pki.dir, "no-handlers.ts");
  await writeFile(emptyModule, "export function time() { return 1; }\nexport const getTime = () => 2;\nexport const version = 3;\n");
  ({ server, client } = await startConnectedPair(pki.server.dir, await pki.client("runner"), {
    clientEnv: { RP_EVENT_HANDLER: FIXTURE_HANDLERS },
    serverEnv: { RP_EVENT_HANDLER: emptyModule },
  }));
});

afterAll(async () => {
  await client?.proc.stop();
  await server?.proc.stop();
  await pki?.cleanup();
});

test("a handler that throws: warn with its name and whole message where it ran; the caller gets 500", async () => {
  const response = await fetch(`${server.http}/client/runner/fail`);
  expect(response.status).toBe(500);
  expect(((await response.json()) as { exception: { class: string } }).exception.class).toBe("RangeError");
  const logged = await client.proc.waitForMessage("handler failed", { handler: "get_fail" });
  expect(logged).toMatchObject({ level: "warn", error: "fixture failure", class: "RangeError" });
});

test("a module whose exports match no handler name warns at start, listing them", async () => {
  const warned = await server.proc.waitForMessage("the handler module defines no handler: every event will get 404");
  expect(warned).toMatchObject({ level: "warn", module: emptyModule, functions: "getTime time" });
  expect(String(warned["hint"])).toContain("get_time");
  expect(client.proc.logs.some((r) => r.msg === "the handler module defines no handler: every event will get 404")).toBe(false);
});

test("a 404 for a missing handler names it, on both fronts", async () => {
  const fromServer = await fetch(`${server.http}/client/runner/file//report.txt`);
  expect(fromServer.status).toBe(404);
  expect(fromServer.headers.get("x-event-return-code")).toBe("255");
  expect(await fromServer.json()).toEqual({ error: "no handler get_file for GET file//report.txt" });
  const fromClient = await fetch(`${client.http}/server/time`, { method: "DELETE" });
  expect(await fromClient.json()).toEqual({ error: "no handler delete_time for DELETE time" });
});
