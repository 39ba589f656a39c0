/**
 * The JSON behind the status page (`/_rp/status.json`), `rp-server clients`
 * and `rp-client status`: plain data, times in epoch ms.
 */
import type { ClientStatus } from "./client-status.ts";
import type { Pipe } from "../pipe/index.ts";
import type { ConnectionEvent, ConnectionTracker } from "./tracker.ts";

/** Whether the node can do its job now, and why (not). */
export interface Readiness {
  readonly ready: boolean;
  readonly reason: string;
}

/** One pipe as the page shows it. */
export interface PipeRow {
  /** The peer's CN. */
  readonly name: string;
  readonly remote: string;
  /** The client's labels from its certificate (`{"role": "db"}`); `{}` when none (absent from servers before labels). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Epoch ms, or null when the pipe was not seen joining. */
  readonly connectedSince: number | null;
  /** Last heartbeat round trip in ms, or null before the first answer. */
  readonly rttMs: number | null;
  /** Requests this node sent on the pipe that await a reply. */
  readonly inFlight: number;
  /** Events from the peer being handled here. */
  readonly inboundInFlight: number;
  readonly requestsSent: number;
  readonly eventsReceived: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** One share of the built-in file share, as the status page shows it. */
export interface ShareLine {
  readonly name: string;
  readonly writable: boolean;
  /** Requests answered since start, refusals included. */
  readonly requests: number;
  /** Body bytes sent (or begun). */
  readonly bytes: number;
}

/** What both roles report. */
interface Common {
  readonly version: string;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly now: number;
  readonly ready: boolean;
  readonly readyReason: string;
  readonly events: readonly ConnectionEvent[];
  /** The configured shares and their counts (none when nothing is shared). */
  readonly shares?: readonly ShareLine[];
}

/** rp-server's status. */
export interface ServerStatusJson extends Common {
  readonly role: "server";
  /** Where the pipe listener listens. */
  readonly listening: string;
  /** Connected clients in all (`clients` may be cut to a limit). */
  readonly clientCount: number;
  /** Sorted by CN. */
  readonly clients: readonly PipeRow[];
  /** Clients refused again and again (a revoked client redialling), one counted line per certificate subject. */
  readonly refused?: readonly RefusedLine[];
  /** CNs whose sessions keep replacing each other from different hosts (two hosts with one identity). */
  readonly sharedIdentities?: readonly SharedIdentity[];
  /** When this server is in a fleet: its servers, which holds each CN, its peer links, forwarded requests. */
  readonly fleet?: FleetStatusJson;
}

/** A server's view of its fleet. */
export interface FleetStatusJson {
  readonly name: string;
  /** This server's id in the fleet, and the address its peers dial. */
  readonly server: string;
  readonly address: string;
  readonly natsUp: boolean;
  /** The live servers, with how many clients each holds. */
  readonly servers: readonly { readonly id: string; readonly address: string; readonly cn: string; readonly clients: number }[];
  /** Which server (its address) holds each CN, sorted by CN (cut to the status limit). */
  readonly holders: readonly { readonly cn: string; readonly server: string }[];
  readonly holderCount: number;
  /** The links this server dialled to its peers. */
  readonly links: readonly { readonly server: string; readonly address: string; readonly state: string; readonly lastError?: string }[];
  /** Links the peers dialled to this server. */
  readonly acceptedLinks: number;
  readonly forwarded: { readonly sent: number; readonly refused: number; readonly linkFailed: number; readonly received: number; readonly receivedRefused: number };
}

/** Refused handshakes of one certificate subject since its last success. */
export interface RefusedLine {
  readonly subject: string;
  readonly count: number;
  readonly lastReason: string;
  /** Epoch ms of the first refusal of the streak. */
  readonly since: number;
}

/** A CN two hosts share: replacements within the last minute, and the hosts. */
export interface SharedIdentity {
  readonly cn: string;
  readonly replacements: number;
  readonly hosts: readonly string[];
}

/** rp-client's status. */
export interface ClientStatusJson extends Common {
  readonly role: "client";
  /** The dial loop's state. */
  readonly status: ClientStatus;
  /** The server in use, or being dialled: `host:port`, with the address when a name was resolved. */
  readonly target: string;
  /** The configured servers, when there are several (client failover). */
  readonly targets?: readonly string[];
  /** The HTTP proxy dialled through, password shown as "(set)"; absent when the client dials directly. */
  readonly proxy?: string;
  /** Pipes to the server lost since start. */
  readonly reconnects: number;
  /** The pipe to the server, while it is up. */
  readonly pipe: PipeRow | null;
}

/** Either role's status. */
export type StatusJson = ServerStatusJson | ClientStatusJson;

/** One pipe's row. */
export function pipeRow(pipe: Pipe, tracker: ConnectionTracker): PipeRow {
  const { stats } = pipe;
  return {
    name: pipe.peer.name,
    remote: pipe.peer.remoteAddress,
    labels: pipe.peer.labels ?? {},
    connectedSince: tracker.since(pipe) ?? null,
    rttMs: pipe.lastRttMs === undefined ? null : Math.round(pipe.lastRttMs * 1000) / 1000,
    inFlight: pipe.inFlight,
    inboundInFlight: pipe.inboundInFlight,
    requestsSent: stats.requestsSent,
    eventsReceived: stats.eventsReceived,
    bytesIn: stats.bytesIn,
    bytesOut: stats.bytesOut,
  };
}

/** Rows for the connected pipes, sorted by name, at most `limit` (0 = all). */
export function pipeRows(pipes: Iterable<Pipe>, tracker: ConnectionTracker, limit = 0): { rows: PipeRow[]; count: number } {
  const all = [...pipes].sort((a, b) => (a.peer.name < b.peer.name ? -1 : a.peer.name > b.peer.name ? 1 : 0));
  const kept = limit > 0 ? all.slice(0, limit) : all;
  return { rows: kept.map((pipe) => pipeRow(pipe, tracker)), count: all.length };
}
