/** A fleet of rp-servers: presence of CNs and servers in NATS JetStream KV, peer links, forwarding and fencing. */
import type { FleetStore } from "./store.ts";
import type { NatsStoreOptions } from "./nats-store.ts";
export type { Change, FleetStore, PresenceRecord, ServerRecord, StopWatching } from "./store.ts";
export { Presence, type Location, type PresenceEvents, type PresenceTiming } from "./presence.ts";
export type { NatsStoreOptions } from "./nats-store.ts";
export { PeerLinks, type LinkState } from "./peer-links.ts";
export { FleetRouter, REFUSED_EPOCH_SKIP_MS, type FleetCounters, type RouterDeps } from "./router.ts";
export { forwardedEventHandler, type ForwardedDeps, type Session } from "./receive.ts";

/**
 * Connects to NATS and opens the fleet's buckets. The NATS client is loaded
 * only here, on first use: a server without a fleet never pays for it.
 */
export async function openNatsStore(options: NatsStoreOptions): Promise<FleetStore> {
  const { openNatsStore: open } = await import("./nats-store.ts");
  return open(options);
}
