/**
 * A node's observability in one place: the connection tracker, Prometheus
 * metrics (always, in the node's own registry) and statsd (when
 * configured), fed from the registry of pipes, the pipes' heartbeats, the
 * dispatcher, the front and the client's dial loop.
 */
import type { ClientStatus, ShareLine } from "../ops/index.ts";
import type { Role } from "../config/index.ts";
import { fanOut, PrometheusMetrics, registerFleetMetrics, StatsdRecorder, type DatagramSink, type FleetFigures, type MetricsRecorder } from "../metrics/index.ts";

/** What a server in a fleet reports to /metrics (see followFleet). */
export type { FleetFigures };
import type { Pipe, PipeRegistry } from "../pipe/index.ts";
import { ConnectionTracker } from "../ops/index.ts";
import type { AuditLog, AuditRecord } from "../audit/index.ts";
import type { FrontAnswer } from "../http/index.ts";

/** What the composition root supplies. */
export interface ObserverOptions {
  readonly role: Role;
  readonly version: string;
  /** A UDP sink to statsd, when RP_STATSD_HOST/PORT are set. */
  readonly statsd?: { readonly sink: DatagramSink; readonly prefix?: string | undefined } | undefined;
  /** Resident memory of the process in bytes (from the runtime adapter). */
  readonly residentMemoryBytes?: () => number;
}

/** Tracks and measures one node. */
export class NodeObserver {
  readonly role: Role;
  readonly version: string;
  readonly startedAt = Date.now();
  readonly tracker = new ConnectionTracker();
  readonly prometheus: PrometheusMetrics;
  /** Every recorder (Prometheus, statsd) behind one interface. */
  readonly recorder: MetricsRecorder;
  /** Where the front's `out` audit lines go, when an audit log is configured. */
  audit: AuditLog | undefined;
  #registry: PipeRegistry | undefined;
  #sharedIdentities: () => number = () => 0;
  #attemptStartedAt: number | undefined;
  readonly #shares = new Map<string, { writable: boolean; requests: number; bytes: number }>();

  constructor(options: ObserverOptions) {
    this.role = options.role;
    this.version = options.version;
    this.prometheus = new PrometheusMetrics({
      role: options.role,
      version: options.version,
      pipes: () => this.#registry?.pipes() ?? [],
      waiting: () => this.#registry?.waiting ?? 0,
      sharedIdentities: () => this.#sharedIdentities(),
      ...(options.residentMemoryBytes ? { residentMemoryBytes: options.residentMemoryBytes } : {}),
    });
    const statsd = options.statsd && new StatsdRecorder({ role: options.role, sink: options.statsd.sink, prefix: options.statsd.prefix });
    this.recorder = fanOut(statsd ? [this.prometheus, statsd] : [this.prometheus]);
  }

  /** Follows `registry`: every pipe that joins or leaves reaches the tracker and the recorders. Returns the unsubscribe function. */
  watch(registry: PipeRegistry): () => void {
    this.#registry = registry;
    const opened = (pipe: Pipe) => {
      this.tracker.pipeOpened(pipe);
      this.recorder.pipeOpened(pipe);
    };
    const closed = (pipe: Pipe) => {
      this.tracker.pipeClosed(pipe);
      this.recorder.pipeClosed(pipe);
    };
    return registry.subscribe((change) => {
      if (change.kind === "removed") return closed(change.pipe);
      // A takeover closes the stale pipe without a "removed": report it as closed first.
      if (change.replaced && change.replaced !== change.pipe) closed(change.replaced);
      opened(change.pipe);
    });
  }

  /** The configured shares, so that the status page lists them (with zero counts until asked). */
  watchShares(shares: Iterable<{ readonly name: string; readonly writable?: boolean }>): void {
    for (const share of shares) this.#shares.set(share.name, { writable: share.writable ?? false, requests: 0, bytes: 0 });
  }

  /** The file share answered a request (metrics and the status page's counts; `share` "" for a name that is not shared). */
  readonly shareServed = (share: string, status: number, bytes: number): void => {
    this.recorder.shareServed(share, status, bytes);
    const tally = this.#shares.get(share);
    if (tally) {
      tally.requests++;
      tally.bytes += bytes;
    }
  };

  /** The shares and their counts, for status.json. */
  shareLines(): ShareLine[] {
    return [...this.#shares].map(([name, tally]) => ({ name, ...tally }));
  }

  /** A server in a fleet (figures as FleetFigures says): its forwarded requests, peer links and NATS state in /metrics. */
  followFleet(read: () => FleetFigures): void {
    registerFleetMetrics(this.prometheus, read);
  }

  /** Server: where /metrics reads how many CNs two hosts share now (restpipe_shared_identities). */
  followSharedIdentities(count: () => number): void {
    this.#sharedIdentities = count;
  }

  /** The pipes of the watched registry. */
  pipes(): Iterable<Pipe> {
    return this.#registry?.pipes() ?? [];
  }

  /** For PipeOptions.onHeartbeat. */
  readonly heartbeat = (rttMs: number): void => this.recorder.heartbeat(rttMs);

  /** For DispatchOptions.onHandled. */
  readonly handled = (handlerName: string, code: number, ms: number): void => this.recorder.eventHandled(handlerName, code, ms);

  /** The `out` line being made: AuditLog.record encodes it at once and keeps nothing of it, so one object serves every answer. */
  readonly #line: { -readonly [K in keyof AuditRecord]: AuditRecord[K] } = {
    direction: "out",
    cn: "",
    verb: "",
    noun: "",
    caller: undefined,
    code: 0,
    status: 0,
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 0,
    rule: undefined,
    traceparent: undefined,
  };

  /** For FrontOptions.onAnswered: the audit log's `out` line. */
  readonly answered = (answer: FrontAnswer): void => {
    if (this.audit === undefined) return;
    const line = this.#line;
    line.cn = answer.peer;
    line.verb = answer.verb;
    line.noun = answer.noun;
    line.caller = answer.context?.caller;
    line.code = answer.code;
    line.status = answer.status;
    line.bytesIn = answer.bytesIn;
    line.bytesOut = answer.bytesOut;
    line.durationMs = answer.ms;
    line.traceparent = answer.context?.traceparent;
    this.audit.record(line, answer.endedAt);
  };

  /** For FrontOptions.onSent. */
  readonly sent = (verb: string, noun: string, code: number, ms: number): void => this.recorder.eventSent(verb, noun, code, ms);

  /** For the client's dial loop (onStatus): connection attempts and their outcome. */
  readonly clientStatus = (status: ClientStatus): void => {
    const now = performance.now();
    if (status.state === "connecting") {
      this.#attemptStartedAt = now;
      this.recorder.connectAttempt();
      return;
    }
    if (this.#attemptStartedAt === undefined) return;
    const ms = now - this.#attemptStartedAt;
    if (status.state === "connected") this.recorder.connectResult(true, ms);
    else if (status.state === "reconnecting") this.recorder.connectResult(false, ms);
    this.#attemptStartedAt = undefined;
  };

  /** Flushes and closes the recorders (statsd socket). */
  close(): void {
    this.recorder.close();
  }
}
