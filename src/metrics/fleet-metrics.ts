/** The /metrics of a server in a fleet: forwarded requests by outcome, peer links, NATS (prom-client loaded at the first scrape, as for the rest). */
import type { Registry } from "prom-client";
import { METRIC_PREFIX, type PrometheusMetrics } from "./prometheus.ts";

/** What a fleet member reports, read at each scrape. */
export interface FleetFigures {
  /** Requests sent to other servers, refused by them, failed for want of a link. */
  readonly forwarded: number;
  readonly refused: number;
  readonly linkFailed: number;
  /** Forwarded requests received from other servers, and of those refused here. */
  readonly received: number;
  readonly receivedRefused: number;
  /** The links this server dialled, by the peer's address. */
  readonly links: readonly { readonly address: string; readonly up: boolean }[];
  /** Links other servers dialled to this one. */
  readonly acceptedLinks: number;
  readonly natsUp: boolean;
}

/** Adds the fleet's metrics to `prometheus`, read from `read` at each scrape. */
export function registerFleetMetrics(prometheus: PrometheusMetrics, read: () => FleetFigures): void {
  prometheus.extend(async (registry) => addFleetMetrics(registry, read, await import("prom-client")));
}

function addFleetMetrics(registry: Registry, read: () => FleetFigures, { Counter, Gauge }: typeof import("prom-client")): void {
  const registers = [registry];
  new Counter({
    name: `${METRIC_PREFIX}fleet_forwarded_requests_total`,
    help: "Front requests forwarded to the server holding their client, by outcome (sent; of those refused there: stale epoch, client gone, deadline; link_failed: no link to that server)",
    labelNames: ["outcome"],
    registers,
    collect() {
      const figures = read();
      this.reset();
      this.inc({ outcome: "sent" }, figures.forwarded);
      this.inc({ outcome: "refused" }, figures.refused);
      this.inc({ outcome: "link_failed" }, figures.linkFailed);
    },
  });
  new Counter({
    name: `${METRIC_PREFIX}fleet_received_requests_total`,
    help: "Requests other servers forwarded to this one, by outcome (taken, or refused: stale epoch, client not here, another fleet)",
    labelNames: ["outcome"],
    registers,
    collect() {
      const figures = read();
      this.reset();
      this.inc({ outcome: "taken" }, figures.received - figures.receivedRefused);
      this.inc({ outcome: "refused" }, figures.receivedRefused);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}fleet_peer_link_up`,
    help: "Per peer server this one dialled (its pipe address): 1 while the link is up, 0 while it is down or dialling",
    labelNames: ["peer"],
    registers,
    collect() {
      this.reset();
      for (const link of read().links) this.set({ peer: link.address }, link.up ? 1 : 0);
    },
  });
  new Gauge({ name: `${METRIC_PREFIX}fleet_accepted_links`, help: "Links other servers of the fleet hold to this one", registers, collect() { this.set(read().acceptedLinks); } });
  new Gauge({ name: `${METRIC_PREFIX}fleet_nats_up`, help: "1 while the connection to NATS (the fleet's presence) is up and presence is loaded", registers, collect() { this.set(read().natsUp ? 1 : 0); } });
}
