/**
 * The servers a client may dial, `RP_CLIENT_TARGET_HOSTNAME=rp1,rp2:1300,[fd00::5]`:
 * host names or IP literals, each with an optional port (the others use
 * RP_CLIENT_TARGET_PORT), IPv6 in brackets (a lone IPv6 literal may go bare,
 * as before lists existed). No DNS here: a name is checked for syntax only;
 * the client resolves it when it dials.
 */
import { isHost, parseIpv6 } from "./_host.ts";
import { InvalidValue } from "./_invalid.ts";

/** Most entries one list may hold (each is dialled in turn: a longer list is a mistake, not a fleet). */
export const MAX_TARGETS = 64;

/** One server to dial. */
export interface Target {
  /** Host name or IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
}

/** One entry as written: its port, when it names one. */
export interface TargetEntry {
  readonly host: string;
  readonly port: number | undefined;
}

const RULE = "must list servers as HOST or HOST:PORT separated by commas (IPv6 as [ADDRESS] or [ADDRESS]:PORT)";

/** Parses a target list; throws InvalidValue naming the entry at fault. */
export function parseTargetList(text: string): TargetEntry[] {
  const entries = text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) throw new InvalidValue(`${RULE}; none given`);
  if (entries.length > MAX_TARGETS) throw new InvalidValue(`${RULE}; at most ${MAX_TARGETS} servers, got ${entries.length}`);
  return entries.map(parseEntry);
}

/** The list as `config check` shows it; a single entry without a port is the bare host, as the setting always was. */
export function formatTargetList(entries: readonly TargetEntry[]): string {
  const only = entries.length === 1 ? entries[0] : undefined;
  if (only !== undefined && only.port === undefined) return only.host;
  return entries.map((entry) => formatTarget(entry)).join(",");
}

/** `host:port`, `[v6]:port`, or the host alone when it has no port. */
export function formatTarget(entry: TargetEntry | Target): string {
  const host = entry.host.includes(":") ? `[${entry.host}]` : entry.host;
  return entry.port === undefined ? host : `${host}:${entry.port}`;
}

/** The client's targets: its list with the default port filled in, repeats dropped (first one kept). */
export function clientTargets(config: { readonly targetHostname: string; readonly targetPort: number }): Target[] {
  const seen = new Set<string>();
  const targets: Target[] = [];
  for (const entry of parseTargetList(config.targetHostname)) {
    const target = { host: entry.host.toLowerCase(), port: entry.port ?? config.targetPort };
    const key = formatTarget(target);
    if (seen.has(key)) continue;
    seen.add(key);
    targets.push({ host: entry.host, port: target.port });
  }
  return targets;
}

function parseEntry(entry: string): TargetEntry {
  const bad = (why: string) => new InvalidValue(`${RULE}; ${JSON.stringify(entry)} ${why}`);
  // A lone IPv6 literal without brackets (the one form where a colon is not a port).
  if (parseIpv6(entry) !== undefined) return { host: entry, port: undefined };
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(entry);
  if (match === null) throw bad("is not HOST, HOST:PORT or [IPV6]:PORT");
  const host = match[1] ?? match[2]!;
  if (match[1] !== undefined ? parseIpv6(host) === undefined : !isHost(host)) throw bad("has no valid IP address or host name");
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65_535)) throw bad(`has port ${port}, not 1-65535`);
  return { host, port };
}
