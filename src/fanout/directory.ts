/**
 * Where the clients a selector matches are. The fan-out asks a
 * ClientDirectory and nothing else, so that a fleet can later answer with
 * the clients of every server; RegistryDirectory is the one-server answer.
 */
import { NO_LABELS } from "../labels/index.ts";
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

/** The clients of this server: the registry's connected pipes, and the recently seen ones. */
export class RegistryDirectory implements ClientDirectory {
  constructor(
    readonly registry: PipeRegistry,
    readonly recent: RecentClients,
  ) {}

  select(selector: Selector, options: SelectOptions): Promise<Selection> {
    const targets: FanoutTarget[] = [];
    let matched = 0;
    const take = (target: FanoutTarget) => {
      if (++matched <= options.limit) targets.push(target);
    };
    const names = exactNames(selector);
    if (names) {
      // A list of CNs is looked up, not scanned: asking 3 of 10,000 clients costs 3 lookups.
      for (const name of names) {
        const pipe = this.registry.get(name);
        if (pipe) take({ name, pipe });
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
    if (options.includeOffline) {
      for (const client of this.recent.all()) {
        if (this.registry.get(client.name) === undefined && selects(selector, client)) take(offline(client.name, client.lastSeenMs));
      }
    }
    return Promise.resolve({ targets, matched });
  }
}

function offline(name: string, lastSeenMs: number | undefined): FanoutTarget {
  return lastSeenMs === undefined ? { name, pipe: undefined } : { name, pipe: undefined, lastSeenMs };
}
