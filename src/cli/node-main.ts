/**
 * What rp-server and rp-client do alike: read the configuration, make the
 * logger, load the identity and the handlers, run until a signal, drain.
 */
import { envSuggestion, unknownEnv, type CommonConfig, type Role } from "../config/index.ts";
import { createDispatcher, exampleHandlers, type Dispatcher } from "../dispatch/index.ts";
import { createConsoleLogger, type Logger } from "../log/index.ts";
import { followIdentity, identityFiles, loadNodeIdentity, openIdentitySource, type IdentitySource } from "../identity/index.ts";
import { guardDispatcher, hooksOf, type Hooks, type NodeObserver } from "../node/index.ts";
import { identityPaths } from "../pki/index.ts";
import { clearStaleSocket, type Runtime, type TlsIdentity } from "../runtime/index.ts";
import { handlerNames, loadHandlerModule, noHandlerWarning } from "./handlers.ts";
import { identityShowCommand, setIdentityCommand } from "./identity-commands.ts";
import { assertPrivateKeyMode } from "./key-permissions.ts";
import { makeObserver } from "./observer.ts";
import { openAuditLog } from "./audit.ts";
import { openPolicySource } from "./policy-source.ts";
import { openShares, shareDispatcher } from "../share/index.ts";
import { EXIT, withoutEmpty, type Command } from "./program.ts";

/** The process logger for a configuration: text on a terminal, JSON otherwise (unless RP_LOG_FORMAT says), debug with DEBUG=1. */
export function makeLogger(config: CommonConfig, role: Role, isTty = Boolean(process.stderr.isTTY), write?: (line: string) => void): Logger {
  const format = config.logFormat === "auto" ? (isTty ? "text" : "json") : config.logFormat;
  return createConsoleLogger({ level: config.debug ? "debug" : "info", format, ...(write ? { write } : {}) }, { node: role });
}

/**
 * Loads this node's identity (fatal when TLS cannot work at all) and keeps it
 * live: file changes reload it (polled). A key file open to group or others
 * is refused, as ssh does: at start-up fatally, on a reload the current
 * identity stays.
 */
export function openIdentity(config: CommonConfig, role: Role, log: Logger): Promise<IdentitySource> {
  const dir = config.identityDir;
  let action = "start";
  return openIdentitySource({
    load: async () => {
      await assertPrivateKeyMode(identityPaths(dir, role).key, action);
      const loaded = await loadNodeIdentity(dir, role, config.keyPassphrase);
      action = "reload the identity";
      return loaded;
    },
    files: identityFiles(dir, role),
    warnDays: config.certWarnDays,
    pollMs: config.identityPollMs,
    log,
  });
}

/** The dispatcher and the state-change hooks of the configured handler module, or of the seed's examples. */
export async function loadHandlers(
  config: CommonConfig,
  role: Role,
  log: Logger,
  onHandled?: (handlerName: string, code: number, ms: number) => void,
): Promise<{ dispatcher: Dispatcher; hooks: Hooks }> {
  const handlers = config.eventHandler === undefined ? exampleHandlers(role) : await loadHandlerModule(config.eventHandler, process.cwd());
  const module = config.eventHandler ?? "(built-in examples)";
  log.info("handlers loaded", { module, handlers: handlerNames(handlers).join(" ") });
  const unreachable = noHandlerWarning(handlers);
  if (unreachable) {
    log.warn("the handler module defines no handler: every event will get 404", {
      module,
      ...unreachable,
      hint: "a handler is named verb_noun: get_time answers GET .../time, post_orders answers POST .../orders",
    });
  }
  // The node that ran a handler sees its whole message; the caller's copy stays redacted (dispatch/_redact.ts).
  const onFailed = (handler: string, error: unknown) =>
    log.warn("handler failed", { handler, error: error instanceof Error ? error.message : String(error), class: error instanceof Error ? error.name : typeof error });
  return { dispatcher: createDispatcher(handlers, { debug: config.debug, bufferBodyBytes: config.bufferBodyBytes, onFailed, ...(onHandled ? { onHandled } : {}) }), hooks: hooksOf(handlers, log) };
}

/** Runs `stop` on the first SIGTERM/SIGINT and exits 0 when it is done; a second signal exits at once. */
export function onShutdownSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) {
      log.warn("second signal: exiting without waiting", { signal });
      process.exit(EXIT.failure);
    }
    stopping = true;
    log.info("shutting down: draining in-flight requests", { signal });
    stop().then(
      () => {
        log.info("stopped");
        process.exit(EXIT.ok);
      },
      (error: unknown) => {
        log.error("shutdown failed", { reason: String(error) });
        process.exit(EXIT.failure);
      },
    );
  };
  process.on("SIGTERM", () => handler("SIGTERM"));
  process.on("SIGINT", () => handler("SIGINT"));
}

/** What a node needs to start, once the CLI has loaded it. */
export interface NodeDeps {
  readonly runtime: Runtime;
  readonly identity: TlsIdentity;
  readonly dispatcher: Dispatcher;
  readonly hooks: Hooks;
  readonly log: Logger;
  readonly observer: NodeObserver;
}

/** The commands both programs have: `start` (runs until a signal, then drains), `set-identity` and `identity show`. */
export function nodeCommands<C extends CommonConfig>(
  role: Role,
  runtime: Runtime,
  startNode: (config: C, deps: NodeDeps) => { stop(): Promise<void> },
): Record<string, Command<C>> {
  return {
    async start(config, line) {
      const log = makeLogger(config, role);
      // A typo'd variable is otherwise silently ignored: the default holds and nobody knows why.
      for (const variable of unknownEnv(withoutEmpty(process.env), role)) {
        log.warn("environment variable is no RestPipe setting: ignored (a typo?)", { variable, suggestion: envSuggestion(variable) });
      }
      const identity = await openIdentity(config, role, log);
      const policy = openPolicySource(role, config, line.flags as Record<string, string | boolean | readonly string[]>, log);
      const audit = await openAuditLog(config, role, log).catch((error: unknown) => {
        identity.close();
        policy.close();
        throw error;
      });
      // Signal handlers go in before the node says it listens: a SIGHUP that came earlier would kill the process.
      let node: { stop(): Promise<void> } | undefined;
      process.on("SIGHUP", () => {
        void identity.reload("SIGHUP");
        void policy.reload("SIGHUP");
        void audit?.reopen();
      });
      onShutdownSignal(log, async () => {
        identity.close();
        policy.close();
        await node?.stop();
        await audit?.close();
      });
      try {
        const observer = makeObserver(config, role, log);
        observer.audit = audit;
        const loaded = await loadHandlers(config, role, log, observer.handled);
        const prefix = `RP_${role.toUpperCase()}`;
        const roots = config.shares.map((share) => ({ ...share, writable: config.shareWritable.includes(share.name) }));
        const shares = await openShares(roots, config.shareHidden, `${prefix}_SHARES (--share)`);
        observer.watchShares(shares.values());
        if (shares.size > 0) {
          log.info("sharing files", {
            shares: [...shares.values()].map((share) => `${share.name}=${share.realRoot}${share.writable ? " (writable)" : ""}`).join(" "),
            hidden: config.shareHidden,
          });
        }
        // The built-in files noun answers only when a share is configured; a module's own get_files keeps working otherwise.
        const withShares = shareDispatcher(loaded.dispatcher, shares, {
          onRefused: (share, status, reason) => log.debug("share request refused", { share, status, reason }),
          onServed: observer.shareServed,
          onHandled: observer.handled,
          onWritten: (change) => log.info(change.verb === "PUT" ? "share file stored" : "share file deleted", { ...change }),
          maxPutBytes: config.shareMaxPutBytes,
          maxPutSetting: `${prefix}_SHARE_MAX_PUT_BYTES`,
        });
        const dispatcher = guardDispatcher(withShares, {
          policy: () => policy.current,
          audit,
          log,
          onDenied: (rule) => {
            observer.recorder.policyDenied(rule);
            observer.handled("", 252, 0);
          },
        });
        const followed = followIdentity(runtime, identity, log);
        // A socket file nothing answers on is left from an earlier run; a live one is another process's (refused).
        if (config.http.kind === "unix") await clearStaleSocket(config.http.path, `stop it, or set RP_${role.toUpperCase()}_HTTP_BIND (--http) to another address`);
        node = startNode(config, { runtime: followed, identity: identity.current.identity, dispatcher, hooks: loaded.hooks, log, observer });
      } catch (error) {
        identity.close(); // its timers would keep the failed process alive
        policy.close();
        throw error;
      }
      return new Promise<number>(() => {}); // runs until a signal
    },
    "set-identity": (config, line) => setIdentityCommand(role, config, line),
    identity: (config, line) => identityShowCommand(role, config, line),
  };
}
