/**
 * The seed's state-change hooks: optional functions a handler module may
 * define. They are called with one info object, never dispatched as events,
 * and a hook that throws (or rejects) is logged, never fatal.
 */
import { HOOK_NAMES } from "../dispatch/index.ts";
import { silentLogger, type Logger } from "../log/index.ts";

/** Info for `connect_success` (client). */
export interface ConnectSuccessInfo {
  /** Failed attempts before this success. */
  readonly retries: number;
  /** When the previous pipe was lost (epoch ms), or undefined for the first connection. */
  readonly disconnectedSince: number | undefined;
}

/** Info for `connect_fail` (client). */
export interface ConnectFailInfo {
  readonly retries: number;
  readonly disconnectedSince: number | undefined;
  readonly reason: string;
}

/** Info for `connection_added` / `connection_removed` (server). */
export interface ConnectionInfo {
  readonly cn: string;
  readonly remoteAddress: string;
  /** Clients connected after the change. */
  readonly count: number;
}

/** The hooks, each optional. */
export interface Hooks {
  connect_success(info: ConnectSuccessInfo): void;
  connect_fail(info: ConnectFailInfo): void;
  connection_added(info: ConnectionInfo): void;
  connection_removed(info: ConnectionInfo): void;
  idle(): void;
}

/** Calls the hooks `handlers` defines; missing ones do nothing. */
export function hooksOf(handlers: object, log: Logger): Hooks {
  const call = (name: (typeof HOOK_NAMES)[number], info?: object) => {
    const hook = (handlers as Record<string, unknown>)[name];
    if (typeof hook !== "function") return;
    try {
      const result: unknown = info === undefined ? hook.call(handlers) : hook.call(handlers, info);
      if (result instanceof Promise) result.catch((error: unknown) => log.warn("hook failed", { hook: name, reason: String(error) }));
    } catch (error) {
      log.warn("hook failed", { hook: name, reason: String(error) });
    }
  };
  return {
    connect_success: (info) => call("connect_success", info),
    connect_fail: (info) => call("connect_fail", info),
    connection_added: (info) => call("connection_added", info),
    connection_removed: (info) => call("connection_removed", info),
    idle: () => call("idle"),
  };
}

/** Hooks that do nothing (no handler module). */
export const noHooks: Hooks = hooksOf({}, silentLogger);
