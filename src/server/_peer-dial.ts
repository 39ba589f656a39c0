/**
 * Dialling a peer server of the fleet: its pipe port with this server's
 * certificate, its certificate checked as a server's, and the link kept only
 * once the peer listed the fleet capability; every refusal says why and what
 * to fix, in the log and in the error.
 */
import type { ServerConfig } from "../config/index.ts";
import type { ServerRecord } from "../fleet/index.ts";
import { peerCertificate } from "../identity/index.ts";
import type { Logger } from "../log/index.ts";
import { pipeOptions, type NodeDeps } from "../node/index.ts";
import { certificatePolicyRefusal } from "../pki/index.ts";
import { PeerUnavailableError, Pipe, type Clock, type InboundHandler, type Transport } from "../pipe/index.ts";
import { Capability } from "../wire/index.ts";

/** How long a peer link may take to dial, shake hands and list its capabilities. */
const LINK_DIAL_TIMEOUT_MS = 5_000;

/** Dials a peer server's pipe port with this server's certificate; resolves once it listed the fleet capability. */
export async function dialPeer(
  server: ServerRecord,
  config: ServerConfig,
  deps: NodeDeps,
  log: Logger,
  clock: Clock,
  handler: (linkLog: Logger) => InboundHandler,
): Promise<Pipe> {
  const { host, port } = splitAddress(server.address);
  let transport: Transport;
  try {
    transport = await deps.runtime.connectTls({ hostname: host, port, identity: deps.identity, timeoutMs: LINK_DIAL_TIMEOUT_MS });
  } catch (error) {
    const reason = `Cannot link to server ${server.address}: ${(error as Error).message} (a server of another CA, this server's certificate without clientAuth (reissue it: rp-server ca issue --server), or nothing listening there?)`;
    log.warn("Cannot peer with a fleet server", { server: server.address, reason });
    throw new PeerUnavailableError(reason);
  }
  const certificate = await peerCertificate(transport.peer);
  const refusal = certificate === undefined ? "it presented no certificate" : certificatePolicyRefusal(certificate, "server");
  if (refusal !== undefined) {
    transport.close();
    const reason = `Cannot link to server ${server.address}: ${refusal}`;
    log.warn("Cannot peer with a fleet server", { server: server.address, reason });
    throw new PeerUnavailableError(reason);
  }
  const linkLog = log.with({ peerServer: server.address });
  let listed: (() => void) | undefined;
  const pipe = new Pipe(
    transport,
    pipeOptions(config, { name: `server ${server.address}`, remoteAddress: server.address }, handler(linkLog), linkLog, {
      clock,
      capabilities: [Capability.Fleet],
      onHeartbeat: () => listed?.(),
      peerFrameSetting: "RP_SERVER_MAX_FRAME_BYTES on the peer server",
    }),
  );
  const answered = await new Promise<boolean>((resolve) => {
    const timer = clock.setTimeout(() => resolve(false), LINK_DIAL_TIMEOUT_MS);
    listed = () => {
      clock.clearTimeout(timer);
      resolve(true);
    };
    void pipe.closed.then(() => {
      clock.clearTimeout(timer);
      resolve(false);
    });
  });
  if (answered && pipe.peerCapabilities.has(Capability.Fleet)) {
    linkLog.info("fleet link up");
    return pipe;
  }
  const status = pipe.status;
  const why = !answered
    ? `it closed the link or did not answer within ${LINK_DIAL_TIMEOUT_MS / 1000} s${status.state === "closed" && status.error ? ` (${status.error.message})` : ""}: it takes this server for a client (not in the same fleet, or the server certificate lacks clientAuth: reissue it with rp-server ca issue --server)`
    : "it did not list the fleet capability (an rp-server without RP_SERVER_FLEET, or an older version); set RP_SERVER_FLEET and RP_SERVER_NATS_URL alike on both";
  pipe.close();
  const reason = `Cannot link to server ${server.address}: ${why}`;
  log.warn("Cannot peer with a fleet server", { server: server.address, reason });
  throw new PeerUnavailableError(reason);
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(":");
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, "$1"), port: Number(address.slice(at + 1)) };
}
