/**
 * What rp-server and rp-client do alike: read the configuration, make the
 * logger, load the identity and the handlers, run until a signal, drain.
 */
import type { CommonConfig, Role } from "../config/index.ts";
import { createDispatcher, exampleHandlers, type Dispatcher } from "../dispatch/index.ts";
import { createConsoleLogger, type Logger } from "../log/index.ts";
import { followIdentity, identityFiles, loadNodeIdentity, openIdentitySource, type IdentitySource } from "../identity/index.ts";
import { hooksOf, type Hooks, type NodeObserver } from "../node/index.ts";
import { identityPaths } from "../pki/index.ts";
import type { Runtime, TlsIdentity } from "../runtime/index.ts";
import { handlerNames, loadHandlerModule } from "./handlers.ts";
import { identityShowCommand, setIdentityCommand } from "./identity-commands.ts";
import { assertPrivateKeyMode } from "./key-permissions.ts";
import { makeObserver } from "./observer.ts";
import { EXIT, type Command } from "./program.ts";

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
  log.info("handlers loaded", { module: config.eventHandler ?? "(built-in examples)", handlers: handlerNames(handlers).join(" ") });
  return { dispatcher: createDispatcher(handlers, { debug: config.debug, ...(onHandled ? { onHandled } : {}) }), hooks: hooksOf(handlers, log) };
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
    async start(config) {
      const log = makeLogger(config, role);
      const identity = await openIdentity(config, role, log);
      // Signal handlers go in before the node says it listens: a SIGHUP that came earlier would kill the process.
      let node: { stop(): Promise<void> } | undefined;
      process.on("SIGHUP", () => void identity.reload("SIGHUP"));
      onShutdownSignal(log, async () => {
        identity.close();
        await node?.stop();
      });
      try {
        const observer = makeObserver(config, role, log);
        const { dispatcher, hooks } = await loadHandlers(config, role, log, observer.handled);
        const followed = followIdentity(runtime, identity, log);
        node = startNode(config, { runtime: followed, identity: identity.current.identity, dispatcher, hooks, log, observer });
      } catch (error) {
        identity.close(); // its timers would keep the failed process alive
        throw error;
      }
      return new Promise<number>(() => {}); // runs until a signal
    },
    "set-identity": (config, line) => setIdentityCommand(role, config, line),
    identity: (config, line) => identityShowCommand(role, config, line),
  };
}
