/** A target's addresses: an IP literal, or a name dialled through a proxy, as it is; a name resolved (each of its addresses, bounded). */
import type { Target } from "../config/index.ts";
import type { DialTarget } from "./dial-plan.ts";

/** Most addresses of one name that a round dials (a resolver may return dozens). */
export const MAX_ADDRESSES_PER_NAME = 16;

/** The addresses to dial for `target`; `lookup` absent (no resolver, or the proxy resolves): the target itself. Rejects naming the name. */
export async function dialTargets(target: Target, lookup: ((host: string) => Promise<readonly string[]>) | undefined): Promise<DialTarget[]> {
  if (lookup === undefined || isIpLiteral(target.host)) return [target];
  let addresses: readonly string[];
  try {
    addresses = await lookup(target.host);
  } catch (error) {
    throw new Error(`Cannot resolve ${target.host}: ${(error as Error).message}; check the name in RP_CLIENT_TARGET_HOSTNAME and the DNS`, { cause: error });
  }
  const unique = [...new Set(addresses)].slice(0, MAX_ADDRESSES_PER_NAME);
  return unique.map((address) => ({ host: target.host, port: target.port, address }));
}

function isIpLiteral(host: string): boolean {
  return host.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}
