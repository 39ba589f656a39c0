/** One outgoing connection attempt as every adapter runs it: settled once, bounded in time, failures named after the target (and the proxy). */
import { ProxyError, proxyAddress, type ProxyEndpoint } from "../proxy/index.ts";
import { WAITING_FOR_PROXY } from "./_proxy-reasons.ts";
import { formatAddress } from "./_address.ts";
import { TransportError } from "./errors.ts";

/** A dial in progress; `promise` resolves with the transport or rejects with a TransportError. */
export class DialAttempt<T> {
  readonly target: string;
  readonly promise: Promise<T>;
  /** What the attempt waits for now, named in the timeout message (e.g. "the proxy's answer to CONNECT"). */
  waitingFor: string | undefined;
  #settled = false;
  #timer: ReturnType<typeof setTimeout>;
  #resolve!: (value: T) => void;
  #reject!: (error: TransportError) => void;
  readonly #via: string;

  /** Starts the clock: after `timeoutMs` the attempt fails and `cut` drops the half-made connection. */
  constructor(hostname: string, port: number, timeoutMs: number, cut: () => void, proxy?: ProxyEndpoint) {
    this.target = formatAddress(hostname, port);
    this.#via = proxy === undefined ? "" : ` through the proxy ${proxyAddress(proxy)}`;
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#timer = setTimeout(() => {
      this.fail(`no TLS connection within ${timeoutMs} ms${this.waitingFor === undefined ? "" : ` (waiting for ${this.waitingFor})`}`);
      cut();
    }, timeoutMs);
  }

  /** True once the attempt succeeded or failed. */
  get settled(): boolean {
    return this.#settled;
  }

  /** The connection is up and verified. */
  succeed(value: T): void {
    if (this.#settle()) this.#resolve(value);
  }

  /** The attempt failed; later calls are ignored. */
  fail(message: string, cause?: unknown): void {
    if (!this.#settle()) return;
    // Still waiting for the proxy, and not its answer (a refusal is the proxy speaking: 403, 407, 502 take the server's backoff).
    const proxyDown = this.waitingFor === WAITING_FOR_PROXY && !(cause instanceof ProxyError);
    this.#reject(new TransportError(`Cannot connect to ${this.target}${this.#via}: ${message}`, { cause, proxyDown }));
  }

  #settle(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    clearTimeout(this.#timer);
    return true;
  }
}
