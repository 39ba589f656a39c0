/**
 * What rp-server and rp-client do alike: read the configuration, make the
 * logger, load the identity and the handlers, run until a signal, drain.
 */
import type { CommonConfig, Role } from "../config/index.ts";
import { createDispatcher, exampleHandlers, type Dispatcher } from "../dispatch/index.ts";
import { createConsoleLogger, type Logger } from "../log/index.ts";
import {
  checkIdentity,
  IdentityError,
  identityPaths,
  readIdentityFiles,
  storeIdentity,
  type Identity,
  type IdentityPart,
} from "../pki/index.ts";
import { readText } from "../runtime/files.ts";
import { hooksOf, type Hooks, type NodeObserver } from "../node/index.ts";
import type { Runtime } from "../runtime/index.ts";
import { UsageError } from "./args.ts";
import { handlerNames, loadHandlerModule } from "./handlers.ts";
import { makeObserver } from "./observer.ts";
import { EXIT, say, type Command } from "./program.ts";

/** The process logger for a configuration: text on a terminal, JSON otherwise (unless RP_LOG_FORMAT says), debug with DEBUG=1. */
export function makeLogger(config: CommonConfig, role: Role, isTty = Boolean(process.stderr.isTTY), write?: (line: string) => void): Logger {
  const format = config.logFormat === "auto" ? (isTty ? "text" : "json") : config.logFormat;
  return createConsoleLogger({ level: config.debug ? "debug" : "info", format, ...(write ? { write } : {}) }, { node: role });
}

/** Problems the peer will judge (it may accept a renewed CA, or refuse): logged, not fatal. */
const PEER_JUDGED: ReadonlySet<IdentityPart> = new Set(["chain", "ca-validity", "cn"]);

/**
 * Reads and checks this node's stored identity. Unreadable files or a key
 * that does not match its certificate are fatal (TLS cannot work at all); a
 * certificate that does not chain or is out of its validity is logged loudly
 * and the peer decides.
 */
export async function loadIdentity(config: CommonConfig, role: Role, log: Logger): Promise<Identity> {
  const identity = await readIdentityFiles(identityPaths(config.identityDir, role), config.keyPassphrase);
  try {
    const checked = await checkIdentity(identity);
    log.info("identity loaded", {
      cn: checked.certificate.subjectCn,
      issuer: checked.certificate.issuer,
      notAfter: checked.certificate.notAfter.toISOString(),
    });
  } catch (error) {
    if (!(error instanceof IdentityError && PEER_JUDGED.has(error.part))) throw error;
    log.error("identity problem: peers will refuse this certificate", { reason: error.message });
  }
  return identity;
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

/** `set-identity KEY CERT CA`: checks the three files and stores them in the identity directory. */
export async function setIdentity(role: Role, dir: string, files: readonly string[], passphrase: string | undefined): Promise<string> {
  const read = (what: string, path: string) =>
    readText(path).catch((cause: unknown) => {
      throw new IdentityError("files", `Cannot read the ${what}: ${(cause as Error).message}`, { cause });
    });
  const [keyPath, certPath, caPath] = files;
  const keyPem = await read("private key", keyPath!);
  const certPem = await read("certificate", certPath!);
  const caPem = await read("CA certificate", caPath!);
  const identity: Identity = passphrase === undefined ? { keyPem, certPem, caPem } : { keyPem, certPem, caPem, passphrase };
  const checked = await checkIdentity(identity);
  const paths = await storeIdentity(dir, role, identity);
  return `stored the ${role} identity CN=${checked.certificate.subjectCn} (issued by ${checked.certificate.issuer}, valid until ${checked.certificate.notAfter.toISOString()}) in ${paths.key}, ${paths.cert}, ${paths.ca}`;
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
  readonly identity: Identity;
  readonly dispatcher: Dispatcher;
  readonly hooks: Hooks;
  readonly log: Logger;
  readonly observer: NodeObserver;
}

/** The commands both programs have: `start` (runs until a signal, then drains) and `set-identity KEY CERT CA`. */
export function nodeCommands<C extends CommonConfig>(
  role: Role,
  runtime: Runtime,
  startNode: (config: C, deps: NodeDeps) => { stop(): Promise<void> },
): Record<string, Command<C>> {
  return {
    async start(config) {
      const log = makeLogger(config, role);
      const identity = await loadIdentity(config, role, log);
      const observer = makeObserver(config, role, log);
      const { dispatcher, hooks } = await loadHandlers(config, role, log, observer.handled);
      const node = startNode(config, { runtime, identity, dispatcher, hooks, log, observer });
      onShutdownSignal(log, () => node.stop());
      return new Promise<number>(() => {}); // runs until a signal
    },
    async "set-identity"(config, line) {
      if (line.positionals.length !== 3) throw new UsageError("set-identity needs three files: KEY CERT CA");
      say(await setIdentity(role, config.identityDir, line.positionals, config.keyPassphrase));
      return EXIT.ok;
    },
  };
}
