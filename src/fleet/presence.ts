/**
 * This server's view of the fleet: it claims the CNs whose pipes it holds,
 * keeps a local copy of every claim and every live server (from watches, so
 * a lookup costs no round trip), tells its owner when a CN it holds was
 * claimed by a newer session elsewhere (takeover), and removes the claims of
 * servers that stopped refreshing (a crashed server's clients vanish from
 * lookups at once when its record goes stale, and from NATS by the sweep).
 */
import { MAX_LABELS, NO_LABELS, parseLabels, type Labels } from "../labels/index.ts";
import type { Clock, TimerHandle } from "../pipe/index.ts";
import type { FleetStore, PresenceRecord, ServerRecord, StopWatching } from "./store.ts";

/** Presence timing. */
export interface PresenceTiming {
  /** How often this server refreshes its record (and sweeps stale claims). */
  readonly refreshMs: number;
  /** A server whose record is older than this is taken as dead: its claims are ignored and swept. */
  readonly deadAfterMs: number;
}

/** Where a CN is, when some live server holds it. */
export interface Location {
  readonly server: string;
  readonly address: string;
  /** The claim's revision: a forwarded request names it, and a stale session refuses it. */
  readonly epoch: number;
}

/** What the presence tells its owner. */
export interface PresenceEvents {
  /** A CN this server holds at `epoch` was claimed by a newer session on another server: close the local one. */
  readonly takenOver: (cn: string, epoch: number, by: string) => void;
  /** The claim of `cn` changed, or (no CN) a server record did: waiting requests look again. */
  readonly changed?: (cn?: string) => void;
  /** A claim of ours vanished from NATS (swept while we looked dead, or NATS lost its store) and was made again at `epoch`. */
  readonly reclaimed?: (cn: string, epoch: number) => void;
}

interface Claim extends PresenceRecord {
  readonly revision: number;
}

/** Presence of one server in its fleet. */
export class Presence {
  readonly #claims = new Map<string, Claim>();
  readonly #servers = new Map<string, ServerRecord & { readonly seenAt: number }>();
  /** CNs held here, with the epoch of the local session. */
  readonly #held = new Map<string, number>();
  /** The labels of the CNs held here (a claim made again after an outage carries them again). */
  readonly #heldLabels = new Map<string, Labels>();
  readonly #stops: StopWatching[] = [];
  #timer: TimerHandle | undefined;
  #closed = false;
  /** When the servers watch last showed this server's own refresh: a watch silent on it is stalled, and restarted. */
  #echoAt = 0;

  constructor(
    private readonly store: FleetStore,
    private readonly self: Omit<ServerRecord, "refreshedAt">,
    private readonly clock: Clock,
    private readonly timing: PresenceTiming,
    private readonly events: PresenceEvents,
  ) {}

  /** Announces this server and loads the current claims and servers. */
  async start(): Promise<void> {
    await this.#refresh();
    await Promise.all([
      new Promise<void>(
        (ready) =>
          void this.store
            .watchServers((id, record) => {
              if (id === this.self.id) this.#echoAt = this.clock.now();
              this.#serverChanged(id, record);
            }, ready)
            .then((stop) => this.#stops.push(stop)),
      ),
      new Promise<void>((ready) => void this.store.watchPresence((cn, record, revision) => this.#claimChanged(cn, record, revision), ready).then((stop) => this.#stops.push(stop))),
    ]);
    this.#schedule();
  }

  /** A client connected here: claims its CN (with its certificate's labels); resolves with the session's epoch. */
  async claim(cn: string, labels: Labels = NO_LABELS): Promise<number> {
    const record = this.#record(cn, labels);
    const revision = await this.store.putPresence(record);
    this.#held.set(cn, revision);
    this.#heldLabels.set(cn, labels);
    this.#claimChanged(cn, record, revision);
    return revision;
  }

  /** The client's session at `epoch` ended here: removes the claim unless a newer one replaced it. */
  async release(cn: string, epoch: number): Promise<void> {
    if (this.#held.get(cn) === epoch) {
      this.#held.delete(cn);
      this.#heldLabels.delete(cn);
    }
    if (this.#claims.get(cn)?.revision === epoch) this.#claims.delete(cn);
    await this.store.deletePresence(cn, epoch);
  }

  /** Where `cn` is held by a live server, or undefined. */
  locate(cn: string): Location | undefined {
    const claim = this.#claims.get(cn);
    if (!claim) return undefined;
    const server = this.#live(claim.server);
    return server ? { server: server.id, address: server.address, epoch: claim.revision } : undefined;
  }

  /** True when `epoch` is the current session of `cn` held here (a forwarded request's fence). */
  holdsCurrent(cn: string, epoch: number): boolean {
    return this.#held.get(cn) === epoch && this.#claims.get(cn)?.revision === epoch;
  }

  /** Every claim held by a live server: CN → server id (for views). */
  holders(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [cn, claim] of this.#claims) if (this.#live(claim.server)) out.set(cn, claim.server);
    return out;
  }

  /** The clients other live servers hold, with their labels (what a fan-out on this server also asks). */
  *remoteClaims(): Generator<{ readonly name: string; readonly labels: Labels }> {
    for (const [cn, claim] of this.#claims) {
      if (claim.server !== this.self.id && this.#live(claim.server)) yield { name: cn, labels: claim.labels ?? NO_LABELS };
    }
  }

  /** The live servers (for views and peering). */
  liveServers(): ServerRecord[] {
    return [...this.#servers.values()].filter((server) => this.#live(server.id) !== undefined);
  }

  /** Stops refreshing and watching; the claims stay until this server's record goes stale or they are released. */
  stop(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.clock.clearTimeout(this.#timer);
    for (const stop of this.#stops.splice(0)) stop();
  }

  #record(cn: string, labels: Labels): PresenceRecord {
    const record = { cn, server: this.self.id, since: this.clock.now() };
    return Object.keys(labels).length === 0 ? record : { ...record, labels };
  }

  #live(id: string): (ServerRecord & { readonly seenAt: number }) | undefined {
    const server = this.#servers.get(id);
    if (!server) return undefined;
    return this.clock.now() - server.seenAt <= this.timing.deadAfterMs ? server : undefined;
  }

  #serverChanged(id: string, record: ServerRecord | undefined): void {
    if (!isServerRecord(record, id) || record.fleet !== this.self.fleet) this.#servers.delete(id);
    else this.#servers.set(id, { ...record, seenAt: this.clock.now() });
    this.events.changed?.();
  }

  /** True when a live server of the fleet announced `cn` as its certificate's CN. */
  isServerCn(cn: string): boolean {
    return this.liveServers().some((server) => server.cn === cn);
  }

  /** The live server `id`, if it is one. */
  server(id: string): ServerRecord | undefined {
    return this.#live(id);
  }

  /** The epoch of this server's own session of `cn`, if it holds one. */
  heldEpoch(cn: string): number | undefined {
    return this.#held.get(cn);
  }

  #claimChanged(cn: string, record: PresenceRecord | undefined, revision: number): void {
    const current = this.#claims.get(cn);
    if (current && current.revision > revision) return; // an older change arriving late
    if (!isPresenceRecord(record, cn)) {
      this.#claims.delete(cn);
      this.events.changed?.(cn);
      return;
    }
    this.#claims.set(cn, { cn, server: record.server, since: record.since, revision, ...believedLabels(record.labels) });
    this.events.changed?.(cn);
    const heldEpoch = this.#held.get(cn);
    if (heldEpoch !== undefined && revision > heldEpoch && record.server !== this.self.id) {
      this.#held.delete(cn);
      this.#heldLabels.delete(cn);
      this.events.takenOver(cn, heldEpoch, record.server);
    }
  }

  async #refresh(): Promise<void> {
    const record = { ...this.self, refreshedAt: this.clock.now() };
    await this.store.putServer(record);
    this.#serverChanged(record.id, record);
    await this.#reclaimLost();
  }

  /** Claims of ours that NATS no longer has are made again: presence is rebuilt after an outage. */
  async #reclaimLost(): Promise<void> {
    for (const [cn, epoch] of [...this.#held]) {
      const claim = this.#claims.get(cn);
      if (claim !== undefined && (claim.revision >= epoch || claim.server !== this.self.id)) continue;
      const record = this.#record(cn, this.#heldLabels.get(cn) ?? NO_LABELS);
      const revision = await this.store.putPresence(record);
      if (this.#held.get(cn) !== epoch) continue; // released or taken over meanwhile
      this.#held.set(cn, revision);
      this.#claimChanged(cn, record, revision);
      this.events.reclaimed?.(cn, revision);
    }
  }

  /** Deletes claims of servers taken as dead; a CAS on the revision keeps a newer claim safe. */
  async #sweep(): Promise<void> {
    for (const [cn, claim] of this.#claims) {
      if (this.#live(claim.server) || claim.server === this.self.id) continue;
      // Not forgotten here: the watch reports the delete. A delete NATS did not take (down, or a newer claim) must not
      // hide a claim that is still there once its server is seen alive again.
      await this.store.deletePresence(cn, claim.revision).catch(() => false);
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.clock.setTimeout(() => {
      if (this.#echoAt > 0 && this.clock.now() - this.#echoAt > this.timing.deadAfterMs / 2) {
        this.#echoAt = this.clock.now();
        this.store.restartWatches();
      }
      void Promise.all([this.#refresh(), this.#sweep()])
        .catch(() => undefined) // NATS unreachable: the next round tries again
        .finally(() => this.#schedule());
    }, this.timing.refreshMs);
  }
}

/** What NATS hands back is checked before it is believed: the right shape, and the key it is stored under. */
function isPresenceRecord(value: PresenceRecord | undefined, cn: string): value is PresenceRecord {
  return typeof value === "object" && value !== null && value.cn === cn && typeof value.server === "string" && typeof value.since === "number";
}

/**
 * A claim's labels as a fan-out may match them: what parses as labels (the syntax of a certificate's, at most
 * MAX_LABELS); anything else in NATS is dropped, so a client is never selected by labels its certificate does not have
 * the syntax for.
 */
function believedLabels(value: unknown): { readonly labels?: Labels } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const entries = Object.entries(value);
  if (entries.length === 0 || entries.length > MAX_LABELS || entries.some(([, text]) => typeof text !== "string")) return {};
  try {
    return { labels: parseLabels(entries.map(([key, text]) => `${key}=${text as string}`)) };
  } catch {
    return {};
  }
}

function isServerRecord(value: ServerRecord | undefined, id: string): value is ServerRecord {
  return (
    typeof value === "object" && value !== null && value.id === id && typeof value.fleet === "string" && typeof value.address === "string" && typeof value.cn === "string" && typeof value.refreshedAt === "number"
  );
}
