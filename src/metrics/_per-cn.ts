/**
 * The two per-client series of the server: `restpipe_client_connected{cn}`
 * (1 while connected, 0 after) and `restpipe_client_last_seen_timestamp_seconds{cn}`
 * (the scrape time while connected, the time the pipe closed after).
 * Connected clients always have both series; disconnected ones keep them
 * only while they are among the last `remember` to disconnect, so a fleet
 * of N clients costs at most 2·(N + remember) series however many CNs come
 * and go.
 */
import type { Gauge } from "prom-client";

/** Keeps the per-CN gauges and bounds the disconnected ones. */
export class PerCnSeries {
  /** Disconnected CNs still shown, oldest first. */
  readonly #gone = new Map<string, true>();

  constructor(
    readonly connected: Gauge<"cn">,
    readonly lastSeen: Gauge<"cn">,
    readonly remember: number,
  ) {}

  /** `cn` connected at `nowS` (epoch seconds). */
  opened(cn: string, nowS: number): void {
    this.#gone.delete(cn);
    this.connected.set({ cn }, 1);
    this.lastSeen.set({ cn }, nowS);
  }

  /** `cn` disconnected at `nowS`; the oldest remembered CN beyond the bound loses its series. */
  closed(cn: string, nowS: number): void {
    this.connected.set({ cn }, 0);
    this.lastSeen.set({ cn }, nowS);
    this.#gone.delete(cn);
    this.#gone.set(cn, true);
    while (this.#gone.size > this.remember) {
      const oldest = this.#gone.keys().next().value as string;
      this.#gone.delete(oldest);
      this.connected.remove({ cn: oldest });
      this.lastSeen.remove({ cn: oldest });
    }
  }

  /** Marks the connected CNs as seen now (call from the last-seen gauge's collect()). */
  seen(cns: Iterable<string>, nowS: number): void {
    for (const cn of cns) this.lastSeen.set({ cn }, nowS);
  }
}
