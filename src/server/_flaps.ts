/**
 * Two hosts with one identity replace each other's session forever (each
 * reconnect takes over the other's pipe). A CN replaced several times within a
 * minute from more than one address is flapping: warned once a minute, shown
 * on the status page and counted in /metrics.
 */

/** The window in which replacements are counted. */
export const FLAP_WINDOW_MS = 60_000;
/** Replacements within the window (from two or more addresses) that make a flap. */
export const FLAP_REPLACEMENTS = 3;
/** CNs followed at most (the oldest is forgotten past it). */
const MAX_CNS = 10_000;

/** One CN that is flapping now. */
export interface Flap {
  readonly cn: string;
  /** Replacements within the window. */
  readonly replacements: number;
  /** The addresses its sessions came from within the window (hosts, without ports). */
  readonly hosts: readonly string[];
}

interface History {
  readonly at: number[];
  readonly hosts: string[];
  warnedAt: number;
}

/** Remembers replacements per CN; `replaced` says when to warn. */
export class FlapDetector {
  readonly #byCn = new Map<string, History>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A session of `cn` from `remote` replaced one from `previousRemote`; returns the flap to warn about (at most once a window per CN). */
  replaced(cn: string, remote: string, previousRemote: string): Flap | undefined {
    const now = this.#now();
    let history = this.#byCn.get(cn);
    if (history === undefined) {
      if (this.#byCn.size >= MAX_CNS) this.#byCn.delete(this.#byCn.keys().next().value!);
      history = { at: [], hosts: [], warnedAt: -Infinity };
      this.#byCn.set(cn, history);
    }
    history.at.push(now);
    history.hosts.push(hostOf(previousRemote), hostOf(remote));
    this.#prune(history, now);
    const flap = this.#flapOf(cn, history);
    if (flap === undefined || now - history.warnedAt < FLAP_WINDOW_MS) return undefined;
    history.warnedAt = now;
    return flap;
  }

  /** The CNs flapping now (within the window). */
  flapping(): Flap[] {
    const now = this.#now();
    const flaps: Flap[] = [];
    for (const [cn, history] of this.#byCn) {
      this.#prune(history, now);
      const flap = this.#flapOf(cn, history);
      if (flap) flaps.push(flap);
      else if (history.at.length === 0) this.#byCn.delete(cn);
    }
    return flaps;
  }

  #prune(history: History, now: number): void {
    while (history.at.length > 0 && now - history.at[0]! > FLAP_WINDOW_MS) {
      history.at.shift();
      history.hosts.splice(0, 2);
    }
  }

  #flapOf(cn: string, history: History): Flap | undefined {
    const hosts = [...new Set(history.hosts)];
    if (history.at.length < FLAP_REPLACEMENTS || hosts.length < 2) return undefined;
    return { cn, replacements: history.at.length, hosts };
  }
}

/** "10.0.0.5:52814" → "10.0.0.5", "[::1]:443" → "::1". */
function hostOf(remote: string): string {
  const match = /^\[?(.*?)\]?:\d+$/.exec(remote);
  return match ? match[1]! : remote;
}
