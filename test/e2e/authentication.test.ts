/**
 * Who may connect: clients with a certificate from another CA, with no
 * certificate, with an expired or not-yet-valid certificate, or without a CN
 * are refused with a clear log line, while a good client on the same server
 * keeps working. Two clients are addressed independently.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  FAST_RETRY,
  makeTestPki,
  startClientProcess,
  startConnectedPair,
  type ClientProcess,
  type ServerProcess,
  type TestPki,
} from "../support/index.ts";
import { describeRefusals } from "../support/refusal-scenarios.ts";

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

describeRefusals("refused clients", {
  server: () => server,
  pki: () => pki,
  startRefused: startBad,
  goodStillWorks,
  reasons: { foreignCa: /^certificate not issued by our CA/, expired: /^certificate has expired/, notYetValid: /^certificate is not yet valid/, withSubject: true },
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
