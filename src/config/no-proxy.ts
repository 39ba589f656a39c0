/**
 * NO_PROXY: which servers are dialled directly although a proxy is set.
 * Entries (comma- or space-separated, any case): `*` (every host), a host
 * name (itself and its subdomains), `.domain` (subdomains only), an IP
 * literal, a CIDR (`10.0.0.0/8`, `fd00::/8`), each optionally with `:port`.
 * No DNS: a name matches names, an IP or CIDR matches IP literals.
 */
import { parseIpv4, parseIpv6 } from "./_host.ts";
import { InvalidValue } from "./_invalid.ts";

/** One parsed NO_PROXY entry. */
export type NoProxyRule =
  | { readonly kind: "all" }
  | { readonly kind: "name"; readonly name: string; readonly subdomainsOnly: boolean; readonly port?: number }
  | { readonly kind: "cidr"; readonly bits: readonly number[]; readonly prefix: number; readonly port?: number };

/** A parsed NO_PROXY list; `text` is how `config check` shows it. */
export interface NoProxy {
  readonly text: string;
  readonly rules: readonly NoProxyRule[];
}

/** Parses a NO_PROXY value; throws InvalidValue naming the entry it cannot read. */
export function parseNoProxy(text: string): NoProxy {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== "");
  return { text: entries.join(","), rules: entries.map(parseEntry) };
}

/** True when `host` (as configured: name or IP literal) on `port` is to be dialled directly. */
export function bypassesProxy(noProxy: NoProxy | undefined, host: string, port: number): boolean {
  if (noProxy === undefined) return false;
  const name = normalName(host);
  const address = ipBits(name);
  return noProxy.rules.some((rule) => {
    if (rule.kind === "all") return true;
    if (rule.port !== undefined && rule.port !== port) return false;
    if (rule.kind === "cidr") return address !== undefined && address.length === rule.bits.length && samePrefix(address, rule.bits, rule.prefix);
    if (rule.name === name) return !rule.subdomainsOnly;
    return name.endsWith(`.${rule.name}`);
  });
}

const RULE = "must list host names, .domains, IP addresses or CIDRs (optionally with :PORT), or *, separated by commas";

function parseEntry(entry: string): NoProxyRule {
  if (entry === "*") return { kind: "all" };
  const { host, port } = splitPort(entry);
  const slash = host.indexOf("/");
  if (slash !== -1) {
    const bits = ipBits(host.slice(0, slash));
    const prefixText = host.slice(slash + 1);
    const prefix = Number(prefixText);
    if (bits === undefined || !/^\d{1,3}$/.test(prefixText) || prefix > bits.length) throw new InvalidValue(`${RULE}: ${JSON.stringify(entry)} is not a CIDR`);
    return { kind: "cidr", bits, prefix, ...port };
  }
  const address = ipBits(host);
  if (address !== undefined) return { kind: "cidr", bits: address, prefix: address.length, ...port };
  const subdomainsOnly = host.startsWith(".");
  const name = normalName(subdomainsOnly ? host.slice(1) : host.startsWith("*.") ? host.slice(2) : host);
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name)) throw new InvalidValue(`${RULE}: ${JSON.stringify(entry)} is not one`);
  // "*.example.com" is read as ".example.com" (subdomains), as curl and Go do.
  return { kind: "name", name, subdomainsOnly: subdomainsOnly || host.startsWith("*."), ...port };
}

/** `host:port`, `[v6]:port`, `[v6]`, a bare IPv6 literal or CIDR (its colons are not a port). */
function splitPort(entry: string): { host: string; port?: { port: number } } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1]!, ...(bracketed[2] === undefined ? {} : { port: { port: toPort(bracketed[2], entry) } }) };
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  if (withPort) return { host: withPort[1]!, port: { port: toPort(withPort[2]!, entry) } };
  return { host: entry };
}

function toPort(text: string, entry: string): number {
  const port = Number(text);
  if (port < 1 || port > 65_535) throw new InvalidValue(`${RULE}: ${JSON.stringify(entry)} has no valid port`);
  return port;
}

function normalName(host: string): string {
  const lower = host.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** An IP literal as bits (32 or 128); IPv4-mapped IPv6 is read as IPv4, so ::ffff:10.0.0.1 matches 10.0.0.0/8. */
function ipBits(text: string): number[] | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return v4.flatMap((octet) => toBits(octet, 8));
  const v6 = parseIpv6(text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text);
  if (v6 === undefined) return undefined;
  if (v6.slice(0, 5).every((group) => group === 0) && v6[5] === 0xffff) return [v6[6]! >> 8, v6[6]! & 255, v6[7]! >> 8, v6[7]! & 255].flatMap((o) => toBits(o, 8));
  return v6.flatMap((group) => toBits(group, 16));
}

function toBits(value: number, width: number): number[] {
  return Array.from({ length: width }, (_, i) => (value >> (width - 1 - i)) & 1);
}

function samePrefix(a: readonly number[], b: readonly number[], prefix: number): boolean {
  for (let i = 0; i < prefix; i++) if (a[i] !== b[i]) return false;
  return true;
}
