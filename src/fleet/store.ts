/**
 * What the fleet keeps in NATS, as a contract: which server holds which CN
 * (the presence bucket, one key per CN, its revision the session's epoch) and
 * which servers are alive (the servers bucket, refreshed by each server).
 * The NATS JetStream KV implementation is in nats-store.ts; tests use a
 * memory one.
 */

/** Who holds one CN. The entry's KV revision is its epoch: a later claim always has a higher one. */
export interface PresenceRecord {
  readonly cn: string;
  /** Id of the server holding the client's pipe. */
  readonly server: string;
  /** When the client connected there (ms since the epoch). */
  readonly since: number;
  /** The labels of the client's certificate (for fan-out selectors on every server); absent when it has none. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** One live server of the fleet, as it announces itself. */
export interface ServerRecord {
  readonly id: string;
  readonly fleet: string;
  /** Where its peers reach it ("host:port" of its pipe port). */
  readonly address: string;
  /** The CN of its certificate: a connection presenting a server certificate with this CN is a peer, not a client. */
  readonly cn: string;
  /** When it last refreshed this record (ms since the epoch, its own clock). */
  readonly refreshedAt: number;
}

/** A change seen by a watch: the new value, or undefined when the key was deleted. */
export type Change<T> = (key: string, value: T | undefined, revision: number) => void;

/** Stops a watch. */
export type StopWatching = () => void;

/** The fleet's shared state. Every method may reject when NATS is unreachable. */
export interface FleetStore {
  /** Writes a claim; resolves with its revision (the epoch). */
  putPresence(record: PresenceRecord): Promise<number>;
  /** Deletes a claim only if it is still at `revision`; false when a newer claim replaced it. */
  deletePresence(cn: string, revision: number): Promise<boolean>;
  /** Calls `change` with every current claim, then with each change; `ready` once the current ones were delivered. */
  watchPresence(change: Change<PresenceRecord>, ready: () => void): Promise<StopWatching>;
  /** Writes (refreshes) this server's record. */
  putServer(record: ServerRecord): Promise<void>;
  /** Calls `change` with every current server record, then with each change. */
  watchServers(change: Change<ServerRecord>, ready: () => void): Promise<StopWatching>;
  /** Replicas of the presence bucket (3 in a cluster of 3 or more nodes). */
  readonly replicas: number;
  /** False while the connection to NATS is down (it reconnects by itself). */
  isUp(): boolean;
  /** Opens the watches anew (they went quiet), delivering the current values again. */
  restartWatches(): void;
  /** Closes the connection; pending writes are flushed. */
  close(): Promise<void>;
}
