/**
 * A fleet under test: rp-server binaries joined by a real nats-server (see
 * nats.ts), sharing the test PKI's one server certificate on one host, as
 * several servers on one machine do with no more settings than one.
 */
import { FIXTURE_HANDLERS, startServerProcess, type ServerProcess } from "./processes.ts";
import type { NatsServer } from "./nats.ts";

/** The environment that makes an rp-server a member of fleet `fleet` on `nats` (short expiry and wait for tests). */
export function fleetEnv(nats: NatsServer | string, fleet = "e2e"): Record<string, string> {
  return {
    RP_SERVER_NATS_URL: typeof nats === "string" ? nats : nats.url,
    RP_SERVER_FLEET: fleet,
    RP_SERVER_FLEET_EXPIRY_S: "2",
    RP_SERVER_CLIENT_WAIT_S: "2",
    RP_SERVER_MAX_STREAM_BYTES: "2GiB",
    RP_EVENT_HANDLER: FIXTURE_HANDLERS,
  };
}

/** Starts an rp-server in the fleet; resolves once it joined (NATS answered, presence loaded). */
export async function startFleetServer(identityDir: string, nats: NatsServer | string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServerProcess(identityDir, { ...fleetEnv(nats), ...env });
  try {
    await server.proc.waitForMessage("joined the fleet", {}, 30_000);
  } catch (error) {
    await server.proc.stop("SIGKILL"); // not left running by a test that fails here
    throw error;
  }
  return server;
}

/** Polls until `url` answers 200 (the presence reached that front); resolves with the ms it took, or fails with the last answer. */
export async function reachable(url: string, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  let last = "";
  while (performance.now() - started < timeoutMs) {
    const response = await fetch(url).catch((error: Error) => error);
    if (!(response instanceof Error) && response.status === 200) {
      await response.arrayBuffer();
      return performance.now() - started;
    }
    last = response instanceof Error ? response.message : `${response.status} ${await response.text()}`;
    await Bun.sleep(20);
  }
  throw new Error(`${url} not reachable within ${timeoutMs} ms; last answer: ${last}`);
}
