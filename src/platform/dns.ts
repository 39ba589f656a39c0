/**
 * Host-name lookups for the client's failover (node:dns, which Bun and Deno
 * both provide): every address of a name, as the system resolver
 * (getaddrinfo: /etc/hosts, then DNS) returns them, so that a name with
 * several servers behind it is dialled at each.
 */
import { lookup } from "node:dns/promises";

/** The addresses of `host` in the resolver's order (IPv4 and IPv6); rejects with the resolver's error (e.g. ENOTFOUND). */
export async function lookupHost(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
}
