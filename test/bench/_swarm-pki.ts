/**
 * Certificates for the swarm benchmark: a CA, a server identity for
 * 127.0.0.1/localhost and one client certificate per CN (each CN must differ:
 * the server keys pipes by CN). Issuing 10,000 takes tens of seconds, so they
 * are cached in the OS temp directory and reused while the CA is valid.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCa, issueCertificate, parseCertificatesPem, type PemIdentity } from "../../src/pki/index.ts";

/** The cached material. */
export interface SwarmPki {
  readonly ca: PemIdentity;
  readonly server: PemIdentity;
  /** clients[i] has CN `swarmCn(i)`. */
  readonly clients: PemIdentity[];
}

/** Where the cache lives. */
export const SWARM_PKI_CACHE = join(tmpdir(), "restpipe-swarm-pki-v1.json");

/** The CN of swarm client `i`. */
export function swarmCn(i: number): string {
  return `swarm-${i}`;
}

const DAY_MS = 86_400_000;
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

function serverIdentity(ca: PemIdentity): Promise<PemIdentity> {
  return issueCertificate({ ca, role: "server", cn: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] });
}
const PARALLEL = 64;

async function usable(cached: SwarmPki): Promise<boolean> {
  const [ca] = await parseCertificatesPem(cached.ca.certPem).catch(() => []);
  return ca !== undefined && ca.notAfter.getTime() - Date.now() > 30 * DAY_MS;
}

/** At least `n` client identities (from the cache when it has them), issuing and caching what is missing. */
export async function swarmPki(n: number, log: (line: string) => void): Promise<SwarmPki> {
  let pki: SwarmPki | undefined;
  if (existsSync(SWARM_PKI_CACHE)) {
    const cached = JSON.parse(readFileSync(SWARM_PKI_CACHE, "utf8")) as SwarmPki;
    if (await usable(cached)) pki = cached;
  }
  if (!pki) {
    const ca = await createCa({ cn: "RestPipe Swarm Bench CA" });
    pki = { ca, server: await serverIdentity(ca), clients: [] };
  }
  // A cache from before server certificates carried clientAuth: the fleet's peer links need it, so the server's is issued anew.
  const [server] = await parseCertificatesPem(pki.server.certPem);
  if (server?.extendedKeyUsages?.includes(CLIENT_AUTH) !== true) {
    pki = { ...pki, server: await serverIdentity(pki.ca) };
    writeFileSync(SWARM_PKI_CACHE, JSON.stringify(pki), { mode: 0o600 });
  }
  if (pki.clients.length >= n) return pki;
  const started = performance.now();
  const missing = n - pki.clients.length;
  log(`issuing ${missing} client certificates (cached in ${SWARM_PKI_CACHE} for later runs)`);
  for (let i = pki.clients.length; i < n; i += PARALLEL) {
    const batch = Array.from({ length: Math.min(PARALLEL, n - i) }, (_, k) => issueCertificate({ ca: pki.ca, role: "client", cn: swarmCn(i + k) }));
    pki.clients.push(...(await Promise.all(batch)));
  }
  writeFileSync(SWARM_PKI_CACHE, JSON.stringify(pki), { mode: 0o600 });
  log(`issued ${missing} certificates in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return pki;
}
