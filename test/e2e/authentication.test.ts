/**
 * Who may connect: clients with a certificate from another CA, with no
 * certificate, with an expired or not-yet-valid certificate, or without a CN
 * are refused with a clear log line, while a good client on the same server
 * keeps working. Two clients are addressed independently.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  connectWithoutCertificate,
  FAST_RETRY,
  makeTestPki,
  refusal,
  startClientProcess,
  startConnectedPair,
  type ClientProcess,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";

let pki: TestPki;
let server: ServerProcess;
let good: ClientProcess;
const started: ClientProcess[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  ({ server, client: good } = await startConnectedPair(pki.server.dir, await pki.client("good")));
});

afterAll(async () => {
  await Promise.all([...started, good].map((c) => c?.proc.stop()));
  await server?.proc.stop();
  await pki?.cleanup();
});

async function startBad(dir: string): Promise<ClientProcess> {
  const client = await startClientProcess(dir, server.pipePort, FAST_RETRY);
  started.push(client);
  return client;
}

async function goodStillWorks(): Promise<void> {
  const response = await fetch(`${server.http}/client/good/cat//still/%20here`);
  expect(await response.json()).toEqual({ result_from_client: "still here" });
}

describe("refused clients", () => {
  test("a certificate from another CA", async () => {
    const mark = server.proc.logs.length;
    const bad = await startBad((await pki.foreignClient("intruder")).dir);
    const serverLine = await server.proc.waitForLog(refusal(/^certificate not issued by our CA/, "CN=intruder"), 10_000, mark);
    expect(serverLine["remote"]).toMatch(/^127\.0\.0\.1:\d+$/);
    const clientLine = await bad.proc.waitForMessage("cannot connect to the server");
    expect(String(clientLine["reason"])).toStartWith("closed by the server before the first reply: certificate rejected?");
    expect(server.proc.logs.some((r) => r["msg"] === "client connected" && r["client"] === "intruder")).toBe(false);
    expect(bad.proc.logs.some((r) => r.msg === "connected to the server")).toBe(false); // refused is never "connected"
    await goodStillWorks();
  });

  test("an expired certificate", async () => {
    const mark = server.proc.logs.length;
    const bad = await startBad((await pki.expiredClient("stale")).dir);
    await server.proc.waitForLog(refusal(/^certificate has expired/, "CN=stale"), 10_000, mark);
    const startup = await bad.proc.waitForMessage("identity problem: peers will refuse this certificate");
    expect(String(startup["reason"])).toMatch(/expired on/);
    await bad.proc.waitForMessage("cannot connect to the server");
    await goodStillWorks();
  });

  test("a certificate that is not yet valid", async () => {
    const mark = server.proc.logs.length;
    await startBad((await pki.notYetValidClient("early")).dir);
    await server.proc.waitForLog(refusal(/^certificate is not yet valid/, "CN=early"), 10_000, mark);
    await goodStillWorks();
  });

  test("no certificate at all", async () => {
    const mark = server.proc.logs.length;
    const outcome = await connectWithoutCertificate(server.pipePort, pki.ca.certPem);
    expect(outcome).toMatch(/CERTIFICATE_REQUIRED|closed/);
    await server.proc.waitForLog(refusal(/^no client certificate presented$/), 10_000, mark);
    await goodStillWorks();
  });

  test("a certificate without a CN", async () => {
    const mark = server.proc.logs.length;
    await startBad((await pki.clientWithoutCn()).dir);
    await server.proc.waitForLog(refusal(/certificate has no CN/), 10_000, mark);
    await goodStillWorks();
  });
});

describe("several clients", () => {
  test("two clients with different CNs are addressed independently and concurrently", async () => {
    const [a, b] = await Promise.all([pki.client("alpha"), pki.client("beta")]);
    const handlers = new URL("../fixtures/handlers.ts", import.meta.url).pathname;
    const clients = await Promise.all(
      [a, b].map((identity) => startClientProcess(identity.dir, server.pipePort, { RP_EVENT_HANDLER: handlers, FIXTURE_NAME: identity.cn! })),
    );
    started.push(...clients);
    await server.proc.waitForMessage("client connected", { client: "alpha" });
    await server.proc.waitForMessage("client connected", { client: "beta" });
    const ask = (cn: string, i: number) => fetch(`${server.http}/client/${cn}/whoami//${i}`).then((r) => r.json());
    const targets = Array.from({ length: 40 }, (_, i) => (i % 2 ? "alpha" : "beta"));
    const replies = await Promise.all(targets.map((cn, i) => ask(cn, i)));
    expect(replies).toEqual(targets.map((cn, i) => ({ name: cn, tag: String(i) })));
    await goodStillWorks();
  });
});
