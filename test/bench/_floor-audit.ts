/**
 * The floor relay's audit log (floor-relay.ts --audit <path>): the least a Bun
 * program can do to write RestPipe's audit line, with none of RestPipe's
 * code. One line per `time` request per process, the same fields in the
 * same order as src/audit/record.ts writes them, all known up front but the
 * time, the reply's length, the trace id and the duration:
 *
 *   - the fixed parts are bytes made once; the time's text up to the
 *     seconds is made once per second, the milliseconds are three digits;
 *   - the trace id and parent id (the floor carries none) are 32 + 16 hex
 *     digits of pooled random bytes, written straight into the line: about
 *     what copying a received traceparent costs (RestPipe makes its
 *     traceparents whether or not the audit log is on);
 *   - lines go into one 256 KiB buffer, written (node:fs/promises, as
 *     src/platform/append-file.ts) when full or 100 ms after its first
 *     line, while the next buffer fills; past that second buffer, lines are
 *     dropped and counted (RestPipe bounds its queue the same way).
 *
 * No policy, no caller tag, no redaction, no byte bound per line: what it
 * costs is a lower bound on what any audit line of these fields costs here.
 * With `writes: false` (floor-relay.ts --audit-writes none) the lines are
 * encoded and the buffer reused, never written: the encoding's share.
 */
import { open, type FileHandle } from "node:fs/promises";

const BUFFER_BYTES = 256 * 1024;
const FLUSH_MS = 100;
/** Room one line needs at most (its fixed parts are ~250 bytes). */
const LINE_ROOM = 512;

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** `Z","direction":…,"bytes_out":` for one direction (the floor's only call: GET time of CN bench). */
const who = (direction: "in" | "out") =>
  ascii(`Z","direction":"${direction}","cn":"bench","verb":"GET","noun":"time","caller":null,"code":0,"status":200,"bytes_in":0,"bytes_out":`);
const MIDDLE = ascii(`,"duration_ms":`);
const TRACE_HEAD = ascii(`,"rule":null,"traceparent":"00-`);
const TRACE_TAIL = ascii(`-00"}\n`);
const HEX = ascii("0123456789abcdef");

/** One process's audit lines. */
export class FloorAudit {
  readonly #handle: FileHandle;
  readonly #who: Uint8Array;
  readonly #writes: boolean;
  #buffer: Uint8Array = new Uint8Array(BUFFER_BYTES);
  #spare: Uint8Array | undefined = new Uint8Array(BUFFER_BYTES);
  #used = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing = false;
  dropped = 0;
  #second = -1;
  #prefix = new Uint8Array(0);
  readonly #random = new Uint8Array(24 * 256);
  #randomAt = this.#random.length;

  private constructor(handle: FileHandle, direction: "in" | "out", writes: boolean) {
    this.#handle = handle;
    this.#who = who(direction);
    this.#writes = writes;
  }

  static async open(path: string, direction: "in" | "out", writes = true): Promise<FloorAudit> {
    return new FloorAudit(await open(path, "a", 0o640), direction, writes);
  }

  /** The line of one answered request: `startedAt` and `endedAt` are performance.now() readings. */
  line(startedAt: number, endedAt: number, bytesOut: number): void {
    if (BUFFER_BYTES - this.#used < LINE_ROOM) {
      if (!this.#writes) this.#used = 0;
      else if (!this.#swap()) return this.#drop();
    }
    const out = this.#buffer;
    let at = this.#used;
    const epochMs = Math.floor(performance.timeOrigin + endedAt);
    const second = Math.floor(epochMs / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#prefix = ascii(`{"time":"${new Date(second * 1000).toISOString().slice(0, -4)}`);
    }
    out.set(this.#prefix, at);
    at += this.#prefix.length;
    const ms = epochMs - second * 1000;
    out[at++] = 0x30 + Math.floor(ms / 100);
    out[at++] = 0x30 + (Math.floor(ms / 10) % 10);
    out[at++] = 0x30 + (ms % 10);
    out.set(this.#who, at);
    at += this.#who.length;
    at = digits(out, at, bytesOut);
    out.set(MIDDLE, at);
    at += MIDDLE.length;
    const thousandths = Math.round((endedAt - startedAt) * 1000);
    at = digits(out, at, Math.floor(thousandths / 1000));
    out[at++] = 0x2e;
    const fraction = thousandths % 1000;
    out[at++] = 0x30 + Math.floor(fraction / 100);
    out[at++] = 0x30 + (Math.floor(fraction / 10) % 10);
    out[at++] = 0x30 + (fraction % 10);
    out.set(TRACE_HEAD, at);
    at += TRACE_HEAD.length;
    if (this.#randomAt + 24 > this.#random.length) {
      crypto.getRandomValues(this.#random);
      this.#randomAt = 0;
    }
    const random = this.#random;
    let r = this.#randomAt;
    for (let i = 0; i < 16; i++, r++) {
      out[at++] = HEX[random[r]! >> 4]!;
      out[at++] = HEX[random[r]! & 15]!;
    }
    out[at++] = 0x2d;
    for (let i = 0; i < 8; i++, r++) {
      out[at++] = HEX[random[r]! >> 4]!;
      out[at++] = HEX[random[r]! & 15]!;
    }
    this.#randomAt = r;
    out.set(TRACE_TAIL, at);
    this.#used = at + TRACE_TAIL.length;
    if (this.#timer === undefined && this.#writes) this.#timer = setTimeout(() => this.#swap(), FLUSH_MS);
  }

  /** Counts a line the writes could not keep up with; the first one is said on standard error (a floor that drops is no floor). */
  #drop(): void {
    if (this.dropped++ === 0) console.error("floor-relay: audit lines dropped: the file's writes did not keep up with two 256 KiB buffers");
  }

  /** Hands the filled buffer to a write and takes the spare; false when the spare is still being written. */
  #swap(): boolean {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#used === 0) return true;
    if (this.#writing || this.#spare === undefined) return false;
    const full = this.#buffer.subarray(0, this.#used);
    const whole = this.#buffer;
    this.#buffer = this.#spare;
    this.#spare = undefined;
    this.#used = 0;
    this.#writing = true;
    void this.#writeAll(full).finally(() => {
      this.#writing = false;
      this.#spare = whole;
    });
    return true;
  }

  async #writeAll(bytes: Uint8Array<ArrayBufferLike>): Promise<void> {
    while (bytes.length > 0) bytes = bytes.subarray((await this.#handle.write(bytes)).bytesWritten);
  }
}

/** Writes the decimal digits of a whole number ≥ 0. */
function digits(out: Uint8Array, at: number, value: number): number {
  let n = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) n++;
  let end = at + n;
  for (let rest = value; end > at; rest = Math.floor(rest / 10)) out[--end] = 0x30 + (rest % 10);
  return at + n;
}
