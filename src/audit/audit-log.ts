/**
 * The audit writer: lines are encoded straight into byte chunks, queued (up
 * to a byte bound) and written in batches, one write at a time, so an event
 * never waits for the disk and a slow or failing disk never grows memory.
 * Past the bound, or when a write fails, lines are dropped and counted; the
 * count is logged at most once a minute: nothing is lost silently, and the
 * event is served regardless.
 */
import type { Logger } from "../log/index.ts";
import { encodeAuditLine, maxLineBytes, type AuditRecord } from "./record.ts";

/** Where audit lines go (a file, reopened for logrotate; or standard error). */
export interface AuditSink {
  /** Appends the bytes (whole lines); rejects when it cannot. The bytes are the sink's until it resolves. */
  write(bytes: Uint8Array): Promise<void>;
  /** Opens the destination again (after a rename by logrotate); rejects when it cannot. */
  reopen(): Promise<void>;
  close(): Promise<void>;
  /** Shown in error messages: the path, or "standard error". */
  readonly name: string;
}

/** Audit writer options. */
export interface AuditLogOptions {
  readonly sink: AuditSink;
  readonly log: Logger;
  /** Bytes queued at most; further lines are dropped (and counted) until the queue drains. */
  readonly maxQueueBytes: number;
  /** Show nouns' arguments. */
  readonly showArgs: boolean;
  /** The setting of the byte bound, named in the refusal (default RP_X_AUDIT_QUEUE_BYTES). */
  readonly queueSetting?: string;
  /** Epoch ms (tests inject one). */
  readonly now?: () => number;
  /** Least time between two "lines dropped" errors. */
  readonly reportEveryMs?: number;
  /** Runs the flush soon (default: after AUDIT_FLUSH_MS, so that one write carries a few hundred lines). */
  readonly schedule?: (flush: () => void) => void;
  /** Runs `report` after `ms` (default: an unreferenced timeout, so it never keeps the process alive). */
  readonly later?: (report: () => void, ms: number) => void;
}

/**
 * How long a line may wait for company before it is written: a write per
 * few lines cost 1.7 µs of CPU per line, a write per 200 lines 0.24 µs; at
 * c=64, 100 ms batches cost less than 20 ms ones (8 vs 11 µs per request,
 * both processes auditing, on a noisy machine).
 */
export const AUDIT_FLUSH_MS = 100;
/** Queued bytes that are written at once, without waiting for AUDIT_FLUSH_MS; also the size of the chunks lines are encoded into. */
export const AUDIT_BATCH_BYTES = 256 * 1024;

/**
 * Whole chunks kept for reuse once written (1 MiB): a fresh 256 KiB chunk
 * per 800 lines was 4 % of the samples of the guard with the audit log on,
 * and every one of them is memory the collector must see go.
 */
export const AUDIT_SPARE_CHUNKS = 4;

/** How often the wall clock is read again for the audit lines' times (an NTP step shows in the lines within this). */
export const WALL_CLOCK_REFRESH_MS = 1_000;

/** One minute between reports of dropped lines. */
export const DROP_REPORT_INTERVAL_MS = 60_000;

/** Counts an audit log keeps. */
export interface AuditStats {
  written: number;
  dropped: number;
}

/** Bytes handed to the sink in one write, with the lines they hold and the slab they are part of. */
interface Part {
  readonly bytes: Uint8Array;
  readonly lines: number;
  readonly slab: Slab;
}

/** A buffer lines are encoded into: reused once it is no longer being filled and the sink has written every part of it. */
interface Slab {
  readonly bytes: Uint8Array;
  /** Parts sealed and not yet written. */
  parts: number;
  filling: boolean;
}

/** The audit log of one node. */
export class AuditLog {
  readonly stats: AuditStats = { written: 0, dropped: 0 };
  readonly #options: AuditLogOptions;
  readonly #now: () => number;
  readonly #schedule: (flush: () => void) => void;
  /** Chunks filled up and waiting to be written (with their line counts), then the one being filled. */
  #full: Part[] = [];
  /** The slab the chunk being filled is part of (lines go to its end: the parts before it are sealed). */
  #slab: Slab | undefined;
  #chunk: Uint8Array | undefined;
  /** Written slabs of AUDIT_BATCH_BYTES, for the next chunks. */
  readonly #spare: Uint8Array[] = [];
  #used = 0;
  #chunkLines = 0;
  /** Bytes encoded and not yet handed to the sink (the in-flight write not included). */
  #queuedBytes = 0;
  #scheduled = false;
  #writing: Promise<void> | undefined;
  /** Dropped since the last report, and why the last one was. */
  #unreported = 0;
  #lastCause = "";
  #lastFix = "";
  #lastReportAt = -Infinity;
  #reportPending = false;
  #closed = false;
  /** Wall-clock ms minus performance.now() at #offsetReadAt (see #wallTime). */
  #wallOffset = 0;
  #offsetReadAt = -Infinity;

  constructor(options: AuditLogOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#schedule = options.schedule ?? ((flush) => void setTimeout(flush, AUDIT_FLUSH_MS));
  }

  /**
   * Queues the line of one event; never throws, never waits. `endedAt`: the
   * caller's performance.now() reading of the event's end, when it has one:
   * the line's time is then that reading plus the wall clock's offset from
   * it, read once per WALL_CLOCK_REFRESH_MS (a clock read per line was a
   * tenth of a line's cost), else the wall clock now.
   */
  record(record: AuditRecord, endedAt?: number): void {
    if (this.#closed) return;
    const room = maxLineBytes(record);
    let chunk = this.#chunk;
    if (chunk === undefined || chunk.length - this.#used < room) chunk = this.#newChunk(room);
    const epochMs = endedAt === undefined ? this.#now() : this.#wallTime(endedAt);
    const end = encodeAuditLine(record, Math.floor(epochMs), this.#options.showArgs, chunk, this.#used);
    const length = end - this.#used;
    if (this.#queuedBytes + length > this.#options.maxQueueBytes) {
      const setting = this.#options.queueSetting ?? "RP_X_AUDIT_QUEUE_BYTES";
      return this.#dropped(
        1,
        `${this.#queuedBytes} bytes are queued, the limit (${setting} = ${this.#options.maxQueueBytes}): ${this.#options.sink.name} is not keeping up`,
        `check the disk, or set ${setting} higher`,
      );
    }
    this.#used = end;
    this.#chunkLines++;
    this.#queuedBytes += length;
    if (this.#queuedBytes >= AUDIT_BATCH_BYTES && this.#writing === undefined) return this.#flush();
    if (!this.#scheduled && this.#writing === undefined) {
      this.#scheduled = true;
      this.#schedule(() => this.#flush());
    }
  }

  /** The wall-clock time of a performance.now() reading, by an offset read again once it is WALL_CLOCK_REFRESH_MS old. */
  #wallTime(reading: number): number {
    if (reading - this.#offsetReadAt >= WALL_CLOCK_REFRESH_MS) {
      this.#offsetReadAt = performance.now();
      this.#wallOffset = this.#now() - this.#offsetReadAt;
    }
    return reading + this.#wallOffset;
  }

  /** Reopens the sink (SIGHUP after logrotate moved the file); a failure is logged and lines keep being counted. */
  async reopen(): Promise<void> {
    await this.#writing;
    try {
      await this.#options.sink.reopen();
      this.#options.log.info("audit log reopened", { file: this.#options.sink.name });
    } catch (error) {
      this.#options.log.error(`Cannot reopen the audit log ${this.#options.sink.name}: ${(error as Error).message}; check the path and its permissions`);
    }
  }

  /** Resolves when everything queued so far has been written (or dropped). */
  async flushed(): Promise<void> {
    while (this.#writing !== undefined || this.#queuedBytes > 0) {
      if (this.#writing === undefined) this.#flush();
      await this.#writing;
    }
  }

  /** Writes what is queued and closes the sink. */
  async close(): Promise<void> {
    await this.flushed();
    this.#closed = true;
    this.#report(true);
    await this.#options.sink.close().catch(() => undefined);
  }

  /** Seals the chunk being filled (if it holds lines) and starts one with room for `room` bytes at least. */
  #newChunk(room: number): Uint8Array {
    this.#seal();
    const old = this.#slab;
    if (old !== undefined) {
      old.filling = false;
      this.#release(old, 0);
    }
    const bytes = room <= AUDIT_BATCH_BYTES ? (this.#spare.pop() ?? new Uint8Array(AUDIT_BATCH_BYTES)) : new Uint8Array(room);
    this.#slab = { bytes, parts: 0, filling: true };
    this.#chunk = bytes;
    this.#used = 0;
    return this.#chunk;
  }

  /** `parts` of `slab` are written (or dropped): a slab no longer filled with no part left unwritten is spare. */
  #release(slab: Slab, parts: number): void {
    slab.parts -= parts;
    if (slab.filling || slab.parts > 0) return;
    if (slab.bytes.length === AUDIT_BATCH_BYTES && this.#spare.length < AUDIT_SPARE_CHUNKS) this.#spare.push(slab.bytes);
  }

  #seal(): void {
    if (this.#chunk !== undefined && this.#chunkLines > 0) {
      this.#slab!.parts++;
      this.#full.push({ bytes: this.#chunk.subarray(0, this.#used), lines: this.#chunkLines, slab: this.#slab! });
      // What is left of the chunk keeps filling: the sealed part is the sink's from now on.
      this.#chunk = this.#chunk.subarray(this.#used);
      this.#used = 0;
      this.#chunkLines = 0;
    }
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#writing !== undefined || this.#queuedBytes === 0) return;
    this.#seal();
    const batch = this.#full;
    this.#full = [];
    this.#queuedBytes = 0;
    this.#writing = this.#writeInOrder(batch).finally(() => {
      this.#writing = undefined;
      for (const part of batch) this.#release(part.slab, 1); // the sink is done with these bytes
      if (this.#queuedBytes >= AUDIT_BATCH_BYTES) this.#flush();
      else if (this.#queuedBytes > 0 && !this.#scheduled) {
        this.#scheduled = true;
        this.#schedule(() => this.#flush());
      }
    });
  }

  /** Writes the parts one after the other (usually one: a batch is a chunk); a failed part drops its lines and those after it. */
  async #writeInOrder(parts: readonly Part[]): Promise<void> {
    for (let i = 0; i < parts.length; i++) {
      try {
        await this.#options.sink.write(parts[i]!.bytes);
        this.stats.written += parts[i]!.lines;
      } catch (error) {
        const lines = parts.slice(i).reduce((sum, part) => sum + part.lines, 0);
        return this.#dropped(lines, `cannot write: ${(error as Error).message}`, "check the disk and the file's permissions");
      }
    }
  }

  #dropped(lines: number, cause: string, fix: string): void {
    this.stats.dropped += lines;
    this.#unreported += lines;
    this.#lastCause = cause;
    this.#lastFix = fix;
    this.#report(false);
  }

  /** At most once per interval (and once more at close): how many lines were dropped, and why. */
  #report(final: boolean): void {
    if (this.#unreported === 0) return;
    const now = this.#now();
    const every = this.#options.reportEveryMs ?? DROP_REPORT_INTERVAL_MS;
    if (!final && now - this.#lastReportAt < every) {
      if (this.#reportPending) return;
      this.#reportPending = true;
      const later = this.#options.later ?? ((report, ms) => (setTimeout(report, ms) as { unref?: () => void }).unref?.());
      return later(() => {
        this.#reportPending = false;
        this.#report(false);
      }, this.#lastReportAt + every - now);
    }
    this.#lastReportAt = now;
    this.#options.log.error(`Cannot write the audit log ${this.#options.sink.name}: ${this.#lastCause}; ${this.#lastFix}`, {
      dropped: this.#unreported,
      droppedTotal: this.stats.dropped,
    });
    this.#unreported = 0;
  }
}
