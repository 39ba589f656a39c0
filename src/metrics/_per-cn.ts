/**
 * The two per-client series of the server: `restpipe_client_connected{cn}`
 * (1 while connected, 0 after) and `restpipe_client_last_seen_timestamp_seconds{cn}`
 * (the scrape time while connected, the time the pipe closed after).
 * Connected clients always have both series; disconnected ones keep them
 * only while they are among the last `remember` to disconnect, so a fleet
 * of N clients costs at most 2·(N + remember) series however many CNs come
 * and go. Kept as plain Map entries (the CN string is the pipe's own) and
 * turned into gauge values only when scraped: a connected client costs one
 * Map entry here, not two prom-client label sets.
 */
import type { Gauge } from "prom-client";

/** Keeps the per-CN state and bounds the disconnected CNs. */
export class PerCnSeries {
  /** Connected CNs, with how many of their sessions are open (a takeover overlaps two). */
  readonly #connected = new Map<string, number>();
  /** Disconnected CNs still shown, oldest first, with when they left (epoch seconds). */
  readonly #gone = new Map<string, number>();

  constructor(readonly remember: number) {}

  /** `cn` connected. */
  opened(cn: string): void {
    this.#gone.delete(cn);
    this.#connected.set(cn, (this.#connected.get(cn) ?? 0) + 1);
  }

  /** A session of `cn` ended at `nowS` (epoch seconds); the oldest remembered CN beyond the bound loses its series. */
  closed(cn: string, nowS: number): void {
    const open = (this.#connected.get(cn) ?? 1) - 1;
    if (open > 0) return void this.#connected.set(cn, open);
    this.#connected.delete(cn);
    this.#gone.delete(cn);
    this.#gone.set(cn, nowS);
    while (this.#gone.size > this.remember) this.#gone.delete(this.#gone.keys().next().value as string);
  }

  /** Fills both gauges (call from a collect()): connected CNs seen at `nowS`, remembered ones at their leaving. */
  collect(connected: Gauge<"cn">, lastSeen: Gauge<"cn">, nowS: number): void {
    connected.reset();
    lastSeen.reset();
    for (const cn of this.#connected.keys()) {
      connected.set({ cn }, 1);
      lastSeen.set({ cn }, nowS);
    }
    for (const [cn, leftS] of this.#gone) {
      connected.set({ cn }, 0);
      lastSeen.set({ cn }, leftS);
    }
  }
}
