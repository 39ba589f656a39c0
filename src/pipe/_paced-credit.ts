/**
 * The connection credit a sender spends, paced: bytes in flight (sent, not
 * yet returned by the receiver) are held to about twice what the path
 * carries in one round trip, not to the whole 64 MiB window.
 *
 * Why: connection credit is returned as bytes arrive, so what is in flight
 * sits in our queues and the kernel's socket buffers, ahead of every later
 * reply and heartbeat of the pipe. With the whole window in use, a 1 GiB
 * stream kept ~10 MiB in the loopback socket buffers and small requests on
 * the same pipe waited tens of ms behind it (p50 31 ms during the transfer,
 * 0.18 idle). Paced, the queue is about one round trip of data.
 *
 * The wire is unchanged: a receiver of this version returns connection credit
 * every CONNECTION_CREDIT_BATCH bytes; one of an earlier version returns it
 * in quarters of the window (16 MiB), which a paced sender would wait for in
 * vain. So pacing starts only when a grant smaller than PACING_GRANT_BYTES
 * shows that the receiver returns credit in small batches.
 *
 * The bound: PACING_MIN_BYTES at least (enough for loopback and LAN), else
 * 2 × delivery rate × the smallest round trip seen (credit returned per ms,
 * and the time from spending credit on a byte to getting it back), as in
 * BBR: on a long path it doubles each round trip until the path is full.
 */
import { Credit } from "./_streams.ts";

/** Connection credit a receiver of this version returns at a time (a grant this small turns pacing on). */
export const CONNECTION_CREDIT_BATCH = 256 * 1024;

/** A connection grant below this comes from a receiver that returns credit in small batches. */
const PACING_GRANT_BYTES = 4 * 1024 * 1024;

/** The least a paced sender may have in flight. */
export const PACING_MIN_BYTES = 1024 * 1024;

/** Round-trip samples older than this are forgotten (the path may change). */
const RTT_WINDOW_MS = 10_000;

/** Delivery rate is measured over periods of at least this long. */
const RATE_PERIOD_MS = 10;

/** The connection's credit on the sending side, with pacing once the receiver allows it. */
export class PacedCredit extends Credit {
  readonly #initial: number;
  readonly #now: () => number;
  #paced = false;
  /** Bytes spent and bytes returned, in all. */
  #spent = 0;
  #returned = 0;
  /** Spending marks: [bytes spent after it, when], in order; acknowledged once `#returned` reaches them. */
  #marks: Array<[number, number]> = [];
  #markHead = 0;
  #minRttMs = Infinity;
  #minRttAt = 0;
  /** Bytes returned per ms, and the period it is being measured in. */
  #rate = 0;
  #periodAt = 0;
  #periodReturned = 0;

  constructor(initial: number, now: () => number) {
    super(initial);
    this.#initial = initial;
    this.#now = now;
  }

  /** True once the receiver showed it returns credit in small batches. */
  get paced(): boolean {
    return this.#paced;
  }

  /** What may be in flight now. */
  get bound(): number {
    if (!this.#paced) return this.#initial;
    const bdp = Number.isFinite(this.#minRttMs) ? 2 * this.#rate * this.#minRttMs : 0;
    return Math.min(this.#initial, Math.max(PACING_MIN_BYTES, Math.ceil(bdp)));
  }

  override get available(): number {
    const granted = super.available;
    return this.#paced ? Math.min(granted, this.bound - (this.#spent - this.#returned)) : granted;
  }

  override take(bytes: number): void {
    super.take(bytes);
    this.#spent += bytes;
    if (this.#paced) this.#marks.push([this.#spent, this.#now()]);
  }

  override add(bytes: number): void {
    const now = this.#now();
    this.#returned += bytes;
    if (!this.#paced && bytes < PACING_GRANT_BYTES) {
      this.#paced = true;
      this.#periodAt = now;
      this.#periodReturned = this.#returned;
    }
    if (this.#paced) this.#measure(now);
    super.add(bytes);
  }

  /** A round-trip sample from the newest mark now returned, and the delivery rate. */
  #measure(now: number): void {
    let acked: number | undefined;
    while (this.#markHead < this.#marks.length && this.#marks[this.#markHead]![0] <= this.#returned) acked = this.#marks[this.#markHead++]![1];
    if (this.#markHead > 1024) {
      this.#marks = this.#marks.slice(this.#markHead);
      this.#markHead = 0;
    }
    if (acked !== undefined) {
      const rtt = Math.max(0.05, now - acked);
      if (rtt <= this.#minRttMs || now - this.#minRttAt > RTT_WINDOW_MS) {
        this.#minRttMs = rtt;
        this.#minRttAt = now;
      }
    }
    const elapsed = now - this.#periodAt;
    if (elapsed >= Math.max(RATE_PERIOD_MS, this.#minRttMs)) {
      const sample = (this.#returned - this.#periodReturned) / elapsed;
      // The highest recent rate counts (a quiet period says nothing of the path), fading slowly.
      this.#rate = Math.max(sample, this.#rate * 0.9);
      this.#periodAt = now;
      this.#periodReturned = this.#returned;
    }
  }
}
