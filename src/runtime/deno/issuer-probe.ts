/**
 * Who signed the certificate the server side presented, when node:tls has
 * refused the chain: it fails the handshake before the certificate can be
 * read, so a second, throwaway handshake reads it. The probe shows no client
 * certificate, verifies nothing, sends no data and is closed at once; it only
 * names the issuer in the refusal (a TLS-inspecting proxy, usually).
 */
import type { Socket } from "node:net";
import { connect, type ConnectionOptions } from "node:tls";
import type { TlsConnectOptions } from "../tls-types.ts";
import { openTunnel } from "./proxy-tunnel.ts";

/** How long the probe may take before the refusal is reported without the issuer. */
export const ISSUER_PROBE_TIMEOUT_MS = 1_000;

/** The issuer ("CN=...") of the certificate the peer presents, or undefined when it cannot be read in time. */
export function probeIssuer(options: TlsConnectOptions): Promise<string | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    let socket: Socket | undefined;
    const done = (issuer?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(issuer);
    };
    const timer = setTimeout(() => done(), ISSUER_PROBE_TIMEOUT_MS);
    const handshake = (where: ConnectionOptions) => {
      // Verification off on purpose: this socket is never used for data; the real dial already failed.
      const probe = connect({ ...where, rejectUnauthorized: false, ...(options.serverName === undefined ? {} : { servername: options.serverName }) });
      socket = probe;
      probe.once("secureConnect", () => done(probe.getPeerX509Certificate()?.issuer));
      probe.once("error", () => done());
      probe.once("close", () => done());
    };
    if (options.proxy === undefined) return handshake({ host: options.hostname, port: options.port });
    socket = openTunnel(options.proxy, options.hostname, options.port, {
      fail: () => done(),
      get settled() {
        return settled;
      },
      open: (raw) => handshake({ socket: raw, host: options.hostname }),
    });
  });
}
