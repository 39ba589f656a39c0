/** A fleet of rp-servers: presence of CNs and servers in NATS JetStream KV. */
export type { Change, FleetStore, PresenceRecord, ServerRecord, StopWatching } from "./store.ts";
export { Presence, type Location, type PresenceEvents, type PresenceTiming } from "./presence.ts";
export { openNatsStore, type NatsStoreOptions } from "./nats-store.ts";
