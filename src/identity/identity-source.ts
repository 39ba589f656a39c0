/**
 * A node's live identity: loaded once at start, then loaded again on demand
 * (SIGHUP) and whenever one of its files changes (polled: robust across
 * editors, renames and network file systems). A reload that fails keeps the
 * current identity. Subscribers learn of every change; the log warns of
 * certificates close to expiry at start, after each change and once a day.
 */
import type { LogFields, Logger } from "../log/index.ts";
import { systemClock, type Clock, type TimerHandle } from "../pipe/index.ts";
import { fileStamp } from "../platform/index.ts";
import { expiryWarnings } from "./expiry.ts";
import { sameIdentity, type LoadedIdentity } from "./node-identity.ts";

/** How often the identity files are looked at. */
export const IDENTITY_POLL_MS = 2_000;

const DAY_MS = 86_400_000;

/** What an identity source needs. */
export interface IdentitySourceOptions {
  /** Reads and checks the identity; throws when it cannot be used. */
  readonly load: () => Promise<LoadedIdentity>;
  /** Files whose change triggers a reload. */
  readonly files: readonly string[];
  readonly warnDays: number;
  readonly log: Logger;
  /** Default IDENTITY_POLL_MS; 0: no polling, only reload(). */
  readonly pollMs?: number;
  readonly clock?: Clock;
  /** Wall-clock time, for expiry. */
  readonly now?: () => Date;
  /** Default: inode, size and mtime of the file. */
  readonly stamp?: (path: string) => Promise<string>;
}

/** A change of identity: what is in force now and what was before. */
export type IdentityListener = (next: LoadedIdentity, previous: LoadedIdentity) => void;

/** The live identity of a node. */
export interface IdentitySource {
  readonly current: LoadedIdentity;
  /** Calls `listener` after every change. */
  onChange(listener: IdentityListener): void;
  /** Loads again now; resolves true when the identity changed. Reloads run one at a time. */
  reload(reason: string): Promise<boolean>;
  /** Stops polling and the daily expiry check. */
  close(): void;
}

/** Loads the identity (throwing when it cannot be used) and starts watching its files. */
export async function openIdentitySource(options: IdentitySourceOptions): Promise<IdentitySource> {
  const { log } = options;
  const clock = options.clock ?? systemClock;
  const now = options.now ?? (() => new Date());
  const stamp = options.stamp ?? fileStamp;
  const stamps = async () => (await Promise.all(options.files.map((path) => stamp(path).catch(() => "unreadable")))).join("|");

  let seen = await stamps();
  let current = await options.load();
  const listeners: IdentityListener[] = [];
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;
  let pollTimer: TimerHandle | undefined;
  let dailyTimer: TimerHandle | undefined;

  const warnExpiry = () => {
    for (const warning of expiryWarnings(current.certificate, current.ca, options.warnDays, now())) {
      const fields = { certificate: warning.certificate, subject: warning.subject, notAfter: warning.notAfter.toISOString(), daysLeft: warning.daysLeft };
      if (warning.expired) log.error("certificate has expired", fields);
      else log.warn("certificate expires soon", fields);
    }
  };

  const describe = (message: string, fields: LogFields) => {
    const { certificate, crl, problem } = current;
    if (problem) log.error("identity problem: peers will refuse this certificate", { ...fields, reason: problem.message });
    log.info(message, {
      ...fields,
      cn: certificate.subjectCn,
      issuer: certificate.issuer,
      serial: certificate.serialHex,
      fingerprint: certificate.fingerprintSha256,
      notAfter: certificate.notAfter.toISOString(),
      ...(crl ? { revoked: current.revoked.size, crlNextUpdate: crl.nextUpdate?.toISOString() } : {}),
    });
    if (crl && current.identity.crlPem === undefined) {
      log.error("revocation list has lapsed: TLS cannot use it; its serials are still refused after the handshake", {
        nextUpdate: crl.nextUpdate?.toISOString(),
      });
    }
  };

  const attempt = async (reason: string): Promise<boolean> => {
    seen = await stamps();
    let next: LoadedIdentity;
    try {
      next = await options.load();
      if (next.problem && !current.problem) throw next.problem;
    } catch (error) {
      log.error("identity reload failed: keeping the current identity", { trigger: reason, reason: (error as Error).message });
      return false;
    }
    if (sameIdentity(next, current)) {
      log.debug("identity unchanged", { trigger: reason });
      return false;
    }
    const previous = current;
    current = next;
    describe("identity reloaded", { trigger: reason });
    warnExpiry();
    for (const listener of listeners) {
      try {
        listener(next, previous);
      } catch (error) {
        log.error("cannot apply the reloaded identity", { reason: (error as Error).message });
      }
    }
    return true;
  };

  const reload = (reason: string): Promise<boolean> => {
    const run = queue.then(() => attempt(reason));
    queue = run.catch(() => undefined);
    return run;
  };

  const pollMs = options.pollMs ?? IDENTITY_POLL_MS;
  const poll = async () => {
    if (closed) return;
    if ((await stamps()) !== seen) await reload("file change");
    if (!closed) pollTimer = clock.setTimeout(() => void poll(), pollMs);
  };
  const daily = () => {
    warnExpiry();
    dailyTimer = clock.setTimeout(daily, DAY_MS);
  };

  describe("identity loaded", {});
  if (pollMs > 0) pollTimer = clock.setTimeout(() => void poll(), pollMs);
  daily();
  return {
    get current() {
      return current;
    },
    onChange: (listener) => void listeners.push(listener),
    reload,
    close() {
      closed = true;
      clock.clearTimeout(pollTimer);
      clock.clearTimeout(dailyTimer);
    },
  };
}
