/**
 * The fleet's state in NATS JetStream KV: bucket `rp_<fleet>_presence` (CN →
 * PresenceRecord; keys are the CN in base64url, since a CN may hold any
 * character and KV keys may not) and `rp_<fleet>_servers` (server id →
 * ServerRecord) whose max age makes a server's record vanish when it stops
 * refreshing. nats-server 2.9 (Debian's) has no per-key TTL: liveness is the
 * refreshed server record, and claims are swept by the live servers.
 */
import { readFileSync } from "node:fs";
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { explainConnectFailure, natsTlsOption } from "./_nats-tls.ts";
import type { Change, FleetStore, PresenceRecord, ServerRecord, StopWatching } from "./store.ts";

/** How to reach NATS and which fleet this is. */
export interface NatsStoreOptions {
  /** NATS URLs (`nats://host:4222`, several for a cluster). */
  readonly servers: readonly string[];
  readonly fleet: string;
  /** How long a server record lives without a refresh. */
  readonly serverTtlMs: number;
  /** A NATS credentials file (JWT and NKey seed), as `nats --creds` takes it. */
  readonly credsFile?: string;
  /** A CA certificate (PEM file) for tls:// servers. */
  readonly caFile?: string;
  /** A client certificate and its key (PEM files) for servers that verify clients (`tls { verify: true }`). */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Passed to the NATS client as is (name, reconnect...). */
  readonly connection?: Partial<ConnectionOptions>;
}

/** How long the first connection to NATS may take (TCP, TLS, INFO/CONNECT). */
const CONNECT_TIMEOUT_MS = 5_000;

/** Fleet names become bucket names: letters, digits, "-" and "_". */
const FLEET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Connects to NATS and opens (creating when absent) the fleet's two buckets. */
export async function openNatsStore(options: NatsStoreOptions): Promise<FleetStore> {
  if (!FLEET_NAME.test(options.fleet)) {
    throw new RangeError(`Cannot join fleet "${options.fleet}": a fleet name has 1-64 letters, digits, "-" or "_"`);
  }
  const tls = natsTlsOption(options);
  const nc = await connect({
    // Reconnect for ever: a NATS outage must not end the fleet, only pause it.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    // A first connection that hangs (a TLS refusal shows as one) is reported within seconds; the join tries again.
    timeout: CONNECT_TIMEOUT_MS,
    ...options.connection,
    servers: [...options.servers],
    ...(options.credsFile === undefined ? {} : { authenticator: credsAuthenticator(readFileSync(options.credsFile)) }),
    ...(tls === undefined ? {} : { tls }),
  }).catch(async (error: Error) => {
    throw await explainConnectFailure(error, options.servers, options);
  });
  try {
    const kvm = new Kvm(nc);
    // Several NATS URLs: a cluster, whose buckets keep up to 3 replicas so that presence survives a node; a bucket
    // made before with another replica count (or a single node behind several URLs) is opened as it is.
    const replicas = options.servers.length >= 3 ? 3 : 1;
    const bucket = async (name: string, config: { history: number; ttl?: number }): Promise<KV> => {
      if (replicas > 1) {
        // A cluster still electing its JetStream leader refuses for a moment: try a few times before settling for less.
        for (let attempt = 0; attempt < 5; attempt++) {
          try {
            return await kvm.create(name, { ...config, replicas });
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
      }
      return kvm.create(name, config);
    };
    const presence = await bucket(`rp_${options.fleet}_presence`, { history: 1 });
    const servers = await bucket(`rp_${options.fleet}_servers`, { history: 1, ttl: options.serverTtlMs });
    return new NatsStore(nc, presence, servers, (await presence.status()).replicas, options.serverTtlMs);
  } catch (error) {
    await nc.close();
    throw error;
  }
}

class NatsStore implements FleetStore {
  #up = true;
  readonly #watches = new Set<{ restart(): void }>();
  /** The beat this server last wrote into the presence bucket, and the last one its presence watch delivered. */
  #beatSent = 0;
  #beatSeen = 0;
  #beatMisses = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly presence: KV,
    private readonly servers: KV,
    readonly replicas: number,
    private readonly serverTtlMs: number,
  ) {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === "disconnect") this.#up = false;
        else if (status.type === "reconnect") this.#up = true;
      }
    })().catch(() => undefined);
  }

  isUp(): boolean {
    return this.#up && !this.nc.isClosed();
  }

  putPresence(record: PresenceRecord): Promise<number> {
    return this.presence.put(keyOf(record.cn), JSON.stringify(record));
  }

  async deletePresence(cn: string, revision: number): Promise<boolean> {
    try {
      await this.presence.delete(keyOf(cn), { previousSeq: revision });
      return true;
    } catch {
      return false; // "wrong last sequence": a newer claim is there
    }
  }

  watchPresence(change: Change<PresenceRecord>, ready: () => void): Promise<StopWatching> {
    return watch(
      this.presence,
      (key, value, revision) => {
        // A beat key ("=" is no base64url character, so no CN has it): proof that this watch still delivers.
        if (key.startsWith(BEAT_PREFIX)) {
          if (key === this.#beatKey && typeof value === "number") this.#beatSeen = Math.max(this.#beatSeen, value);
          if (value === undefined) this.#beats.delete(key);
          else this.#beats.set(key, { revision, seenAt: Date.now() });
          return;
        }
        change(cnOf(key), value as PresenceRecord | undefined, revision);
      },
      ready,
      this.#watches,
    );
  }

  #beatKey = "";
  /** Every server's beat key as this server's watch last saw it change (when, and at which revision). */
  readonly #beats = new Map<string, { revision: number; seenAt: number }>();

  restartWatches(): void {
    for (const watching of this.#watches) watching.restart();
  }

  /**
   * With each refresh, a beat goes into the presence bucket; a presence watch
   * that delivered none of the last two is stalled (seen: a watch whose
   * consumer was on a NATS node that died never resumes) and is reopened.
   * The servers watch is checked the same way by Presence (its own record).
   */
  async #beat(id: string): Promise<void> {
    this.#beatKey = `${BEAT_PREFIX}${keyOf(id)}`;
    if (this.#beatSent > 0 && this.#beatSeen < this.#beatSent) {
      if (++this.#beatMisses >= 2) {
        this.#beatMisses = 0;
        this.restartWatches();
      }
    } else {
      this.#beatMisses = 0;
    }
    const beat = this.#beatSent + 1;
    await this.presence.put(this.#beatKey, String(beat));
    this.#beatSent = beat;
    await this.#purgeStaleBeats();
  }

  /**
   * A server that crashed leaves its beat key behind (no per-key TTL in
   * nats-server 2.9): a beat that has not changed for twice the server
   * expiry (a live server rewrites its own 4 times per expiry) is purged, on
   * its revision, so a beat that moved meanwhile is kept.
   */
  async #purgeStaleBeats(): Promise<void> {
    const now = Date.now();
    for (const [key, beat] of [...this.#beats]) {
      if (key === this.#beatKey || now - beat.seenAt <= 2 * this.serverTtlMs) continue;
      this.#beats.delete(key); // tried once: a newer beat arriving through the watch sets it again
      await this.presence.purge(key, { previousSeq: beat.revision }).catch(() => undefined);
    }
  }

  async putServer(record: ServerRecord): Promise<void> {
    await this.#beat(record.id);
    await this.servers.put(keyOf(record.id), JSON.stringify(record));
  }

  watchServers(change: Change<ServerRecord>, ready: () => void): Promise<StopWatching> {
    return watch(this.servers, (key, value, revision) => change(cnOf(key), value as ServerRecord | undefined, revision), ready, this.#watches);
  }

  async close(): Promise<void> {
    if (this.#beatKey !== "") await this.presence.purge(this.#beatKey).catch(() => undefined); // a crashed server's: purged by the others (#purgeStaleBeats)
    await this.nc.drain().catch(() => this.nc.close());
  }
}

/**
 * Delivers current values, then `ready` (at the first entry with nothing pending after it), then each change. A
 * restart (the watch went quiet: its consumer was on a NATS node that died) opens a new watch, which delivers the
 * current values again.
 */
async function watch(
  kv: KV,
  change: (key: string, value: unknown, revision: number) => void,
  ready: () => void,
  registry: Set<{ restart(): void }>,
): Promise<StopWatching> {
  let waiting = (await kv.status()).values > 0;
  if (!waiting) ready();
  let stopped = false;
  let iterator = await kv.watch();
  const consume = (current: typeof iterator) =>
    void (async () => {
      for await (const entry of current) {
        change(entry.key, entry.operation === "PUT" ? parsed(entry.string()) : undefined, entry.revision);
        if (waiting && (entry.delta === 0 || entry.isUpdate)) {
          waiting = false;
          ready();
        }
      }
    })().catch(() => undefined);
  consume(iterator);
  const controller = {
    restart() {
      iterator.stop();
      void kv.watch().then(
        (fresh) => {
          if (stopped) return fresh.stop();
          iterator = fresh;
          consume(fresh);
        },
        () => undefined, // NATS still away: the next restart tries again
      );
    },
  };
  registry.add(controller);
  return () => {
    stopped = true;
    registry.delete(controller);
    iterator.stop();
  };
}

/** A value that is not JSON counts as absent (nothing in the bucket is trusted blindly). */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Keys of the presence bucket that are no claim: each server's beat (see NatsStore.#beat). */
const BEAT_PREFIX = "=beat.";

function keyOf(name: string): string {
  return Buffer.from(name, "utf8").toString("base64url") || "_";
}

function cnOf(key: string): string {
  return key === "_" ? "" : Buffer.from(key, "base64url").toString("utf8");
}
