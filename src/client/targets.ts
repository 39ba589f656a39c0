/**
 * The servers a client may dial (`RP_CLIENT_TARGET_HOSTNAME=a,b:1235,[::1]`):
 * parsed once, then walked from a random start so that a fleet's clients
 * spread over its servers, moving to the next one after each failure.
 */

/** One server to dial. */
export interface Target {
  readonly host: string;
  readonly port: number;
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`, comma-separated; a missing port is `defaultPort`. Throws with the entry at fault. */
export function parseTargets(value: string, defaultPort: number): Target[] {
  const entries = value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) throw new RangeError("Cannot dial: no server given; set RP_CLIENT_TARGET_HOSTNAME to host[:port][,host[:port]...]");
  return entries.map((entry) => parseTarget(entry, defaultPort));
}

function parseTarget(entry: string, defaultPort: number): Target {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+))(?::(\d{1,5}))?$/.exec(entry);
  const bareV6 = /^[0-9A-Fa-f]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$/.test(entry);
  if (!match && bareV6) return { host: entry, port: defaultPort };
  if (!match) throw new RangeError(`Cannot dial "${entry}": expected host, host:port or [ipv6]:port`);
  const host = match[1] ?? match[2]!;
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (port < 1 || port > 65_535) throw new RangeError(`Cannot dial "${entry}": port ${port} is not 1-65535`);
  return { host, port };
}

/** Which target to dial next: a random first one, then round the list after each failure. */
export class TargetRotation {
  #index: number;

  constructor(
    readonly targets: readonly Target[],
    random: () => number = Math.random,
  ) {
    if (targets.length === 0) throw new RangeError("Cannot rotate over no targets");
    this.#index = Math.min(targets.length - 1, Math.floor(random() * targets.length));
  }

  /** The target to dial now. */
  get current(): Target {
    return this.targets[this.#index]!;
  }

  /** The current one failed (or sent GoAway): the next one. */
  next(): Target {
    this.#index = (this.#index + 1) % this.targets.length;
    return this.current;
  }
}
