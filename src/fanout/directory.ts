/**
 * Where the clients a selector matches are. The fan-out asks a
 * ClientDirectory and nothing else; RegistryDirectory answers with this
 * server's clients and, in a fleet, the clients the other servers hold
 * (RemoteClients: reached by forwarding, each with its own entry).
 */
import { NO_LABELS, type Labels } from "../labels/index.ts";
import type { PipeRegistry } from "../pipe/index.ts";
import type { FanoutTarget } from "./runner.ts";
import type { RecentClients } from "./recent.ts";
import { exactNames, selects, type Selector } from "./selector.ts";

/** What a selection asks. */
export interface SelectOptions {
  /** Also list recently seen clients that are not connected (as targets without a pipe). */
  readonly includeOffline: boolean;
  /** Collect at most this many targets; `matched` still counts them all (for the 413). */
  readonly limit: number;
}

/** The clients a selector matches: at most `limit` targets, and how many matched in all. */
export interface Selection {
  readonly targets: readonly FanoutTarget[];
  readonly matched: number;
}

/** Finds the clients a selector matches. */
export interface ClientDirectory {
  select(selector: Selector, options: SelectOptions): Promise<Selection>;
}

/** Clients that other servers of a fleet hold, as a fan-out sees them. */
export interface RemoteClients {
  /** A target that forwards to the server holding `name`, when another server holds it. */
  get(name: string): FanoutTarget | undefined;
  /** Every client another live server holds, with the labels of its certificate. */
  all(): Iterable<{ readonly name: string; readonly labels: Labels }>;
}

/** The clients of this server (the registry's connected pipes), those other servers of its fleet hold, and the recently seen ones. */
export class RegistryDirectory implements ClientDirectory {
  constructor(
    readonly registry: PipeRegistry,
    readonly recent: RecentClients,
    /** The fleet's other clients, once the fleet is joined (undefined: this server's clients only). */
    readonly remote: () => RemoteClients | undefined = () => undefined,
  ) {}

  select(selector: Selector, options: SelectOptions): Promise<Selection> {
    const targets: FanoutTarget[] = [];
    let matched = 0;
    const take = (target: FanoutTarget) => {
      if (++matched <= options.limit) targets.push(target);
    };
    const remote = this.remote();
    const names = exactNames(selector);
    if (names) {
      // A list of CNs is looked up, not scanned: asking 3 of 10,000 clients costs 3 lookups.
      for (const name of names) {
        const pipe = this.registry.get(name);
        const elsewhere = pipe ? undefined : remote?.get(name);
        if (pipe) take({ name, pipe });
        else if (elsewhere) take(elsewhere);
        else if (options.includeOffline) take(offline(name, this.recent.get(name)?.lastSeenMs));
      }
      return Promise.resolve({ targets, matched });
    }
    const all = selector.kind === "all";
    for (const pipe of this.registry.pipes()) {
      // registry.get: the pipe is usable (open, not draining); a draining one is left to reconnect.
      const { name, labels } = pipe.peer;
      if ((all || selects(selector, { name, labels: labels ?? NO_LABELS })) && this.registry.get(name) === pipe) take({ name, pipe });
    }
    // Held elsewhere: a client this server holds is asked here (its local session is the current one).
    const elsewhere = new Set<string>();
    for (const client of remote?.all() ?? []) {
      if (this.registry.get(client.name) !== undefined || !(all || selects(selector, client))) continue;
      elsewhere.add(client.name);
      if (matched >= options.limit) {
        matched++; // counted for the 413; no forwarder made for it
        continue;
      }
      const target = remote!.get(client.name);
      if (target === undefined) elsewhere.delete(client.name); // its server went away since the list was made
      else take(target);
    }
    if (options.includeOffline) {
      for (const client of this.recent.all()) {
        if (this.registry.get(client.name) === undefined && !elsewhere.has(client.name) && selects(selector, client)) take(offline(client.name, client.lastSeenMs));
      }
    }
    return Promise.resolve({ targets, matched });
  }
}

function offline(name: string, lastSeenMs: number | undefined): FanoutTarget {
  return lastSeenMs === undefined ? { name, pipe: undefined } : { name, pipe: undefined, lastSeenMs };
}
