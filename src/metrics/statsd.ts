/**
 * statsd over UDP with the seed's names (see statsd-names.ts). Lines are
 * buffered and sent several to a datagram (newline-separated, as statsd
 * accepts), at most every `flushMs` or when a datagram is full, so a busy
 * front costs a string append per metric, not a syscall.
 */
import { HeartbeatTimeoutError, type Pipe } from "../pipe/index.ts";
import { handlerAnswered } from "./_labels.ts";
import type { MetricsRecorder } from "./recorder.ts";
import { handlerTickName, handlerTimingName, STATSD_NAMES as N } from "./statsd-names.ts";

/** Sends one datagram; implemented per runtime (src/runtime). Must not throw. */
export interface DatagramSink {
  send(packet: Uint8Array): void;
  close(): void;
}

/** statsd options. */
export interface StatsdOptions {
  readonly role: "server" | "client";
  readonly sink: DatagramSink;
  /** Prepended to every name with a dot, e.g. "restpipe.web1". */
  readonly prefix?: string | undefined;
  /** Longest wait before buffered lines are sent (default 100 ms). */
  readonly flushMs?: number;
  /** Largest datagram (default 1432 bytes: fits an Ethernet MTU over IPv6 or IPv4). */
  readonly maxPacketBytes?: number;
}

/** The statsd recorder. */
export class StatsdRecorder implements MetricsRecorder {
  readonly #sink: DatagramSink;
  readonly #prefix: string;
  readonly #flushMs: number;
  readonly #maxBytes: number;
  readonly #server: boolean;
  readonly #encoder = new TextEncoder();
  readonly #handlerNames = new Map<string, readonly [tick: string, timing: string]>();
  #buffer = "";
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: StatsdOptions) {
    this.#sink = options.sink;
    this.#prefix = options.prefix ? `${options.prefix}.` : "";
    this.#flushMs = options.flushMs ?? 100;
    this.#maxBytes = options.maxPacketBytes ?? 1432;
    this.#server = options.role === "server";
  }

  eventSent(_verb: string, _noun: string, _code: number, ms: number): void {
    this.#count(N.messageSend);
    this.#time(N.messageSendTiming, ms);
  }

  eventHandled(handlerName: string, code: number, ms: number): void {
    this.#count(N.messageReceive);
    this.#time(N.messageReceiveHandleTiming, ms);
    if (!handlerAnswered(code)) return;
    let names = this.#handlerNames.get(handlerName);
    if (!names) {
      const safe = handlerName.replace(/[^\w-]/g, "_"); // ":", "|" and "\n" would break the line format
      this.#handlerNames.set(handlerName, (names = [handlerTickName(safe), handlerTimingName(safe)]));
    }
    this.#count(names[0]);
    this.#time(names[1], ms);
  }

  policyDenied(): void {
    this.#count(N.messageDenied);
  }

  /** Not sent to statsd: the Prometheus series carry it. */
  shareServed(): void {}

  heartbeat(rttMs: number): void {
    this.#time(this.#server ? N.serverHeartbeatTiming : N.clientHeartbeatTiming, rttMs);
    this.#count(this.#server ? N.serverHeartbeatSuccess : N.clientHeartbeatSuccess);
  }

  connectAttempt(): void {
    this.#count(N.connectNew);
  }

  connectResult(ok: boolean, ms: number): void {
    this.#time(N.connectAttemptTiming, ms);
    this.#count(ok ? N.connectConnected : N.connectFail);
  }

  pipeOpened(_pipe: Pipe): void {
    if (this.#server) this.#count(N.serverConnectionAdded);
  }

  pipeClosed(pipe: Pipe): void {
    this.#count(this.#server ? N.serverConnectionRemoved : N.connectBroken);
    if (pipe.status.state === "closed" && pipe.status.error instanceof HeartbeatTimeoutError) {
      this.#count(this.#server ? N.serverHeartbeatFail : N.clientHeartbeatFail);
    }
  }

  /** Sends what is buffered now. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer === "") return;
    const packet = this.#encoder.encode(this.#buffer);
    this.#buffer = "";
    this.#sink.send(packet);
  }

  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#sink.close();
  }

  #count(name: string): void {
    this.#line(`${this.#prefix}${name}:1|c`);
  }

  #time(name: string, ms: number): void {
    this.#line(`${this.#prefix}${name}:${Math.round(ms * 1000) / 1000}|ms`);
  }

  #line(line: string): void {
    if (this.#closed) return;
    // Lengths in UTF-16 units: names are ASCII except for a prefix, and a slightly early flush is harmless.
    if (this.#buffer !== "" && this.#buffer.length + 1 + line.length > this.#maxBytes) this.flush();
    this.#buffer = this.#buffer === "" ? line : `${this.#buffer}\n${line}`;
    this.#timer ??= setTimeout(() => this.flush(), this.#flushMs);
  }
}
