/**
 * The fleet's KV state in memory, for unit tests of presence and routing:
 * one shared `MemoryFleet` (the NATS server), a `FleetStore` per server over
 * it. Revisions grow across both buckets as JetStream's stream sequence does
 * per bucket; a compare-and-delete fails when a newer value is there; watches
 * see every change in order, delivered on a microtask. `down` makes every
 * call reject, as NATS unreachable does.
 */
import type { Change, FleetStore, PresenceRecord, ServerRecord, StopWatching } from "../../src/fleet/index.ts";

type Bucket<T> = { values: Map<string, { value: T; revision: number }>; watchers: Set<Change<T>>; revision: number };

/** The shared state: what a nats-server holds. */
export class MemoryFleet {
  readonly presence: Bucket<PresenceRecord> = { values: new Map(), watchers: new Set(), revision: 0 };
  readonly servers: Bucket<ServerRecord> = { values: new Map(), watchers: new Set(), revision: 0 };
  down = false;

  /** A server's connection to it. */
  store(): FleetStore {
    return new MemoryFleetStore(this);
  }
}

function put<T>(bucket: Bucket<T>, key: string, value: T): number {
  const revision = ++bucket.revision;
  bucket.values.set(key, { value, revision });
  for (const watcher of bucket.watchers) queueMicrotask(() => watcher(key, value, revision));
  return revision;
}

function remove<T>(bucket: Bucket<T>, key: string, revision: number): boolean {
  if (bucket.values.get(key)?.revision !== revision) return false;
  bucket.values.delete(key);
  const deleted = ++bucket.revision;
  for (const watcher of bucket.watchers) queueMicrotask(() => watcher(key, undefined, deleted));
  return true;
}

function watch<T>(bucket: Bucket<T>, change: Change<T>, ready: () => void): StopWatching {
  for (const [key, { value, revision }] of bucket.values) change(key, value, revision);
  ready();
  bucket.watchers.add(change);
  return () => bucket.watchers.delete(change);
}

class MemoryFleetStore implements FleetStore {
  readonly replicas = 1;
  constructor(private readonly fleet: MemoryFleet) {}

  #check(): Promise<void> {
    return this.fleet.down ? Promise.reject(new Error("NATS is down (memory)")) : Promise.resolve();
  }

  async putPresence(record: PresenceRecord): Promise<number> {
    await this.#check();
    return put(this.fleet.presence, record.cn, record);
  }

  async deletePresence(cn: string, revision: number): Promise<boolean> {
    await this.#check();
    return remove(this.fleet.presence, cn, revision);
  }

  async watchPresence(change: Change<PresenceRecord>, ready: () => void): Promise<StopWatching> {
    await this.#check();
    return watch(this.fleet.presence, change, ready);
  }

  async putServer(record: ServerRecord): Promise<void> {
    await this.#check();
    put(this.fleet.servers, record.id, record);
  }

  async watchServers(change: Change<ServerRecord>, ready: () => void): Promise<StopWatching> {
    await this.#check();
    return watch(this.fleet.servers, change, ready);
  }

  isUp(): boolean {
    return !this.fleet.down;
  }

  restartWatches(): void {}

  async close(): Promise<void> {}
}
