/**
 * A fleet on a nats-server that verifies its clients (tls { verify: true },
 * certificates made per run), on the compiled binaries: servers given a
 * client certificate, key and CA (here their own pipe certificate, which
 * carries clientAuth) join and forward; a server without a client
 * certificate, one with a certificate of another CA, and one that does not
 * trust the NATS server's certificate each log a refusal naming the cause and
 * the setting to set, and keep serving their own clients.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { FIXTURE_HANDLERS, makeTestPki, startClientProcess, startServerProcess, type ClientProcess, type ServerProcess, type TestPki } from "../support/index.ts";
import { fleetEnv, reachable, startFleetServer } from "../support/fleet.ts";
import { startNatsTls, type NatsServer } from "../support/nats.ts";

let pki: TestPki;
let nats: NatsServer;
const processes: Array<ServerProcess | ClientProcess> = [];

/** The NATS client settings of a server that shows its own pipe certificate to NATS. */
const natsTls = () => ({ RP_SERVER_NATS_CERT: pki.server.certPath, RP_SERVER_NATS_KEY: pki.server.keyPath, RP_SERVER_NATS_CA: pki.ca.certPath });

beforeAll(async () => {
  pki = await makeTestPki();
  const natsIdentity = await pki.serverIdentity("nats");
  nats = await startNatsTls({ certPath: natsIdentity.certPath, keyPath: natsIdentity.keyPath, caPath: pki.ca.certPath });
}, 30_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.proc.stop("SIGKILL")));
  await nats?.stop();
  await pki?.cleanup();
});

/** A server of the fleet that cannot join: resolves with the reason its first join attempt logged. */
async function refusedJoin(env: Record<string, string>): Promise<string> {
  const server = await startServerProcess(pki.server.dir, { ...fleetEnv(nats.url), ...env });
  processes.push(server);
  const line = await server.proc.waitForMessage("Cannot join the fleet: NATS did not answer; serving this server's clients only, trying again", {}, 20_000);
  return String(line["reason"]);
}

test("servers with a client certificate, key and CA join a NATS that verifies clients, and forward to each other", async () => {
  const [a, b] = await Promise.all([startFleetServer(pki.server.dir, nats.url, natsTls()), startFleetServer(pki.server.dir, nats.url, natsTls())]);
  processes.push(a!, b!);
  const identity = await pki.client("edge-tls");
  processes.push(await startClientProcess(identity.dir, a!.pipePort, { RP_EVENT_HANDLER: FIXTURE_HANDLERS, FIXTURE_NAME: "edge-tls" }));
  const ms = await reachable(`${b!.http}/client/edge-tls/whoami`, 15_000);
  console.log(`NATS over mutual TLS: the client of server A answered through server B's front ${Math.round(ms)} ms after it started`);
}, 60_000);

test("without a client certificate: a refusal saying NATS requires one, and which settings to set", async () => {
  const reason = await refusedJoin({ RP_SERVER_NATS_CA: pki.ca.certPath });
  expect(reason).toBe(
    `Cannot connect to NATS at ${nats.url}: it requires a client certificate (tls { verify: true }) and none is set; set RP_SERVER_NATS_CERT and RP_SERVER_NATS_KEY to a certificate with clientAuth from a CA in its tls ca_file`,
  );
}, 60_000);

test("with a client certificate of another CA: a refusal naming the certificate and what NATS needs of it", async () => {
  const stranger = await pki.foreignClient("rp-foreign");
  const reason = await refusedJoin({ RP_SERVER_NATS_CERT: stranger.certPath, RP_SERVER_NATS_KEY: stranger.keyPath, RP_SERVER_NATS_CA: pki.ca.certPath });
  expect(reason).toStartWith(`Cannot connect to NATS at ${nats.url}: it did not complete the TLS handshake with the client certificate ${stranger.certPath} (`);
  expect(reason).toEndWith(`); set RP_SERVER_NATS_CERT to a valid certificate with clientAuth from a CA in the NATS server's tls ca_file (its log says why: "TLS handshake error")`);
}, 60_000);

test("without the CA of the NATS server's certificate: a refusal saying it is not trusted; set RP_SERVER_NATS_CA", async () => {
  const reason = await refusedJoin({ RP_SERVER_NATS_CERT: pki.server.certPath, RP_SERVER_NATS_KEY: pki.server.keyPath });
  expect(reason).toMatch(/^Cannot connect to NATS \(tls:\/\/127\.0\.0\.1:\d+\): its certificate is not trusted \(.+\); set RP_SERVER_NATS_CA to the CA that issued it$/);
}, 60_000);
