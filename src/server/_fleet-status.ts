/** What a fleet member shows of its fleet: the status JSON's fleet part. */
import type { FleetRouter, LinkState, ServerRecord } from "../fleet/index.ts";
import type { FleetStatusJson } from "../ops/index.ts";

/** What the views show of the fleet. */
export interface FleetView {
  readonly fleet: string;
  readonly self: string;
  readonly address: string;
  readonly natsUp: boolean;
  /** CN → the address of the server holding it. */
  readonly holders: ReadonlyMap<string, string>;
  readonly servers: readonly ServerRecord[];
  readonly links: readonly LinkState[];
  readonly acceptedLinks: number;
  readonly counters: FleetRouter["counters"];
}

/** The status JSON's fleet part, at most `limit` holders (0: all). */
export function fleetStatus(view: FleetView, limit: number): FleetStatusJson {
  const perServer = new Map<string, number>();
  for (const address of view.holders.values()) perServer.set(address, (perServer.get(address) ?? 0) + 1);
  const all = [...view.holders].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const kept = limit > 0 ? all.slice(0, limit) : all;
  return {
    name: view.fleet,
    server: view.self,
    address: view.address,
    natsUp: view.natsUp,
    servers: view.servers.map((server) => ({ id: server.id, address: server.address, cn: server.cn, clients: perServer.get(server.address) ?? 0 })),
    holders: kept.map(([cn, server]) => ({ cn, server })),
    holderCount: all.length,
    links: view.links.map((link) => ({ ...link })),
    acceptedLinks: view.acceptedLinks,
    forwarded: { sent: view.counters.forwarded, refused: view.counters.refused, linkFailed: view.counters.linkFailed, received: view.counters.received, receivedRefused: view.counters.receivedRefused },
  };
}

