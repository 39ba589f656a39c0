/**
 * Which server the client dials next, when it has several: the configured
 * targets from a random start (so that a fleet's clients spread over its
 * servers), each name at each of its addresses (from a random start too:
 * a resolver returns them in the same order to every client), the next one
 * after a failure or a lost pipe (each client's own "next", so that the
 * clients of a lost server spread over the others), and a server that said GoAway skipped
 * until its retry-after has passed while another one can be tried.
 */
import { formatTarget, type Target } from "../config/index.ts";

/** One address to dial. */
export interface DialTarget {
  /** As configured: the name the server certificate must carry (unless RP_CLIENT_SERVER_NAME), what NO_PROXY matches. */
  readonly host: string;
  readonly port: number;
  /** The address `host` resolved to, when the client resolved it; undefined: dial `host` itself (an IP, or a name a proxy resolves). */
  readonly address?: string;
}

/** Most GoAway holds remembered at once (64 targets × 16 addresses). */
const MAX_HOLDS = 1_024;

/** `rp.example.com:1234`, or `rp.example.com:1234 (10.0.0.5)` for a resolved name. */
export function dialLabel(target: DialTarget): string {
  const base = formatTarget(target);
  return target.address === undefined || target.address === target.host ? base : `${base} (${target.address})`;
}

/** Where the next round begins: a configured target, and within it an address (for a name with several). */
interface Start {
  readonly index: number;
  readonly address?: string;
}

/** The order of one round of dials over the targets, and where the next round begins. */
export class DialPlan {
  readonly targets: readonly Target[];
  #start: Start;
  /** Per-client offset into a name's addresses, fixed at start: the same client keeps its order. */
  readonly #spread: number;
  /**
   * How far the next round's start moves on after a failure or a lost pipe,
   * per client in 1..targets-1 (fixed at start): the clients of a server
   * that died spread over all the others instead of all landing on the one
   * after it in the list (measured, 3 servers: ~340 at once on one server
   * met its handshake gate; spread, each takes half).
   */
  readonly #hop: number;
  /** Label → clock time before which that address is not dialled (GoAway). */
  readonly #heldUntil = new Map<string, number>();

  constructor(targets: readonly Target[], random: () => number = Math.random) {
    if (targets.length === 0) throw new RangeError("Cannot plan dials: no targets");
    this.targets = targets;
    this.#start = { index: Math.min(targets.length - 1, Math.floor(random() * targets.length)) };
    this.#spread = random();
    this.#hop = targets.length > 2 ? 1 + Math.min(targets.length - 2, Math.floor(random() * (targets.length - 1))) : 1;
  }

  /** The configured targets in the order of the next round (its first one first). */
  order(): Target[] {
    return this.targets.map((_, k) => this.targets[(this.#start.index + k) % this.targets.length]!);
  }

  /** A target's dial addresses in this client's order; the round's first target begins at the address the round begins at. */
  arrange(target: Target, resolved: readonly DialTarget[]): DialTarget[] {
    if (resolved.length <= 1) return [...resolved];
    const begin = this.targets[this.#start.index] === target && this.#start.address !== undefined ? resolved.findIndex((d) => d.address === this.#start.address) : -1;
    const offset = begin >= 0 ? begin : Math.floor(this.#spread * resolved.length) % resolved.length;
    return resolved.map((_, k) => resolved[(offset + k) % resolved.length]!);
  }

  /** The next round begins after `used` (it failed, or its pipe was lost): the next address of its name, else this client's next target. */
  moveOn(target: Target, arranged: readonly DialTarget[], used: DialTarget): void {
    const index = this.targets.indexOf(target);
    if (index === -1) return;
    const position = arranged.indexOf(used);
    const following = position >= 0 && position + 1 < arranged.length ? arranged[position + 1] : undefined;
    this.#start = following?.address !== undefined ? { index, address: following.address } : { index: (index + this.#hop) % this.targets.length };
  }

  /** `target` said GoAway: not dialled again before clock time `untilMs` while another one can be. */
  hold(target: DialTarget, untilMs: number): void {
    const label = dialLabel(target);
    this.#heldUntil.delete(label); // re-inserted last: the map's order is oldest hold first
    this.#heldUntil.set(label, untilMs);
    // Holds of addresses a name no longer resolves to are never looked up again: keep the map bounded.
    while (this.#heldUntil.size > MAX_HOLDS) this.#heldUntil.delete(this.#heldUntil.keys().next().value!);
  }

  /** When `target` may be dialled again (0: now). */
  heldUntil(target: DialTarget, nowMs: number): number {
    const until = this.#heldUntil.get(dialLabel(target));
    if (until === undefined) return 0;
    if (until > nowMs) return until;
    this.#heldUntil.delete(dialLabel(target));
    return 0;
  }
}
