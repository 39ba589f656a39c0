/** Text views of the status for the terminal: `rp-server clients` and `rp-client status`. */
import { formatLabels, hasLabels, type Labels } from "../labels/index.ts";
import { printable } from "../log/index.ts";
import type { ClientStatusJson, PipeRow, ServerStatusJson } from "./snapshot.ts";

/** "2026-11-25 09:00:01 UTC". */
export function formatTime(ms: number | null): string {
  return ms === null ? "-" : `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)} UTC`;
}

/** "3m 12s", "2d 4h": the two largest units of a duration. */
export function formatAge(ms: number): string {
  let s = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, name] of [[86_400, "d"], [3_600, "h"], [60, "m"]] as const) {
    const n = Math.floor(s / unit);
    s -= n * unit;
    if (n > 0) parts.push(`${n}${name}`);
  }
  parts.push(`${s}s`);
  return parts.slice(0, 2).join(" ");
}

function rtt(ms: number | null): string {
  return ms === null ? "-" : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
}

function since(row: PipeRow, now: number): string {
  return row.connectedSince === null ? "-" : `${formatTime(row.connectedSince)} (${formatAge(now - row.connectedSince)})`;
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function alignColumns(rows: readonly (readonly string[])[], numeric: ReadonlySet<number> = new Set()): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) => row.map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join("  ").trimEnd())
    .join("\n");
}

/**
 * The connected clients as a table (the status page's table), with a count
 * line; with `wanted` labels only the clients carrying all of them. A LABELS
 * column appears when a listed client has labels.
 */
export function clientsTable(status: ServerStatusJson, wanted?: Labels): string {
  const clients = wanted === undefined ? status.clients : status.clients.filter((c) => hasLabels(c.labels ?? {}, wanted));
  const labelled = clients.some((c) => Object.keys(c.labels ?? {}).length > 0);
  const header = ["CN", "REMOTE", "CONNECTED SINCE", "RTT", "IN FLIGHT", "REQUESTS", ...(labelled ? ["LABELS"] : [])];
  // A CN is the peer's choice: escaped before the widths are measured, so the columns stay aligned too.
  const rows = clients.map((c) => [
    printable(c.name),
    c.remote,
    since(c, status.now),
    rtt(c.rttMs),
    String(c.inFlight + c.inboundInFlight),
    String(c.requestsSent + c.eventsReceived),
    ...(labelled ? [formatLabels(c.labels ?? {})] : []),
  ]);
  const plural = (n: number) => `${n} client${n === 1 ? "" : "s"}`;
  const count =
    wanted === undefined
      ? `${plural(status.clientCount)} connected to ${status.listening}`
      : `${plural(clients.length)} with ${formatLabels(wanted)} of ${status.clientCount} connected to ${status.listening}`;
  return rows.length === 0 ? count : `${alignColumns([header, ...rows], new Set([3, 4, 5]))}\n${count}`;
}

/**
 * `clients --fleet`: which server of the fleet holds each CN (this one
 * marked), then the servers with their client counts and this server's
 * links to them. A server outside a fleet says so.
 */
export function fleetClientsTable(status: ServerStatusJson): string {
  const fleet = status.fleet;
  if (fleet === undefined) return `not in a fleet: ${status.listening} serves its own clients only (set RP_SERVER_NATS_URL and RP_SERVER_FLEET to join one)`;
  const rows = fleet.holders.map((h) => [printable(h.cn), h.server === fleet.address ? `${h.server} (this server)` : h.server]);
  const links = new Map(fleet.links.map((link) => [link.address, link]));
  const servers = fleet.servers.map((server) => {
    const link = links.get(server.address);
    const state = server.address === fleet.address ? "this server" : link ? `link ${link.state}${link.lastError && link.state !== "up" ? `: ${link.lastError}` : ""}` : "no link yet";
    return [server.address, String(server.clients), state];
  });
  const count = `${fleet.holderCount} client${fleet.holderCount === 1 ? "" : "s"} held by ${fleet.servers.length} server${fleet.servers.length === 1 ? "" : "s"} of fleet ${fleet.name}${fleet.natsUp ? "" : " (NATS unreachable: as last seen)"}`;
  const table = rows.length === 0 ? "" : `${alignColumns([["CN", "SERVER"], ...rows])}\n`;
  return `${table}${count}\n${alignColumns([["SERVER", "CLIENTS", "STATE"], ...servers], new Set([1]))}`;
}

/** The client's pipe state as "key  value" lines. */
export function clientStatusText(status: ClientStatusJson): string {
  const pipe = status.pipe;
  const state = status.status;
  const lines: Array<[string, string]> = [["state", state.state], ["server", printable(pipe?.name ?? "-")], ["address", pipe?.remote ?? status.target]];
  if (status.targets !== undefined) lines.push(["target", `${printable(status.target)} (of ${status.targets.map(printable).join(", ")})`]);
  if (status.proxy !== undefined) lines.push(["proxy", printable(status.proxy)]);
  if (pipe) lines.push(["since", since(pipe, status.now)]);
  else if ("since" in state) lines.push(["since", `${formatTime(state.since)} (${formatAge(status.now - state.since)})`]);
  if ("reason" in state) lines.push(["reason", printable(state.reason)]);
  if ("lastLost" in state && state.lastLost) lines.push(["last lost", `${printable(state.lastLost.reason)} (${formatAge(status.now - state.lastLost.at)} ago)`]);
  lines.push(["heartbeat rtt", rtt(pipe?.rttMs ?? null)], ["reconnects", String(status.reconnects)]);
  if (pipe) lines.push(["in flight", String(pipe.inFlight + pipe.inboundInFlight)], ["requests", String(pipe.requestsSent + pipe.eventsReceived)]);
  return alignColumns(lines);
}
