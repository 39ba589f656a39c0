/**
 * The compiled binaries as processes under test: started with real flags and
 * environment, their JSON log lines collected, waited on by log message
 * (never by sleeping), stopped by signal. Loopback and port 0 only.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Subprocess } from "bun";

/** One log record of a node (its JSON log line), or `{ msg: <raw line> }` for other output. */
export type LogRecord = Record<string, unknown> & { msg: string };

/** The user handler module of the e2e tests (test/fixtures/handlers.ts), for RP_EVENT_HANDLER. */
// Not import.meta.dir: test/support is also loaded by the runtime-neutral tests under Deno.
export const FIXTURE_HANDLERS = fileURLToPath(new URL("../fixtures/handlers.ts", import.meta.url));

/** Path of a compiled binary; throws when it has not been built. */
export function binary(name: "rp-server" | "rp-client"): string {
  const path = resolve(import.meta.dir, "../../dist", name);
  if (!existsSync(path)) throw new Error(`Cannot find ${path}: run \`bun run build\` first`);
  return path;
}

/** How to start a program: its command line, and where and with what extra environment to run it. */
export interface Launcher {
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly env?: Record<string, string>;
}

/** The compiled Bun binary dist/<name>. */
export function binaryLauncher(name: "rp-server" | "rp-client"): Launcher {
  return { argv: [binary(name)] };
}

/** A running binary with its collected logs. */
export class NodeProcess {
  readonly logs: LogRecord[] = [];
  readonly stdout: string[] = [];
  readonly exited: Promise<number>;
  readonly #proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly #collected: Promise<unknown>;
  #waiters: Array<() => void> = [];

  constructor(command: readonly string[], env: Record<string, string>, cwd?: string) {
    this.#proc = Bun.spawn([...command], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/tmp", ...env },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      ...(cwd ? { cwd } : {}),
    });
    this.#collected = Promise.all([
      this.#collect(this.#proc.stderr, (line) => this.logs.push(parseLine(line))),
      this.#collect(this.#proc.stdout, (line) => this.stdout.push(line)),
    ]);
    this.exited = this.#proc.exited;
  }

  /** Resolves once the process exited and all its output was collected: the exit code and both outputs. */
  async result(): Promise<{ code: number; stdout: string; stderr: string }> {
    const code = await this.exited;
    await this.#collected;
    return { code, stdout: this.stdout.join("\n"), stderr: this.logs.map((r) => r.msg).join("\n") };
  }

  /** Process id. */
  get pid(): number {
    return this.#proc.pid;
  }

  /** Resolves with the first record (already seen or future) that matches; rejects after `timeoutMs` with the logs so far. */
  async waitForLog(match: (record: LogRecord) => boolean, timeoutMs = 10_000, from = 0): Promise<LogRecord> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.logs.slice(from).find(match);
      if (found) return found;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no matching log line within ${timeoutMs} ms; logs:\n${this.logs.map((r) => JSON.stringify(r)).join("\n")}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  /** Waits for a record whose `msg` equals `msg` (and whose fields include `fields`). */
  waitForMessage(msg: string, fields: Record<string, unknown> = {}, timeoutMs = 10_000, from = 0): Promise<LogRecord> {
    return this.waitForLog((r) => r.msg === msg && Object.entries(fields).every(([k, v]) => r[k] === v), timeoutMs, from);
  }

  /** Sends a signal without waiting (SIGSTOP, SIGHUP, ...). */
  signal(signal: "SIGTERM" | "SIGINT" | "SIGKILL" | "SIGSTOP" | "SIGCONT" | "SIGHUP"): void {
    this.#proc.kill(signal);
  }

  /** Sends a signal; resolves with the exit code. */
  async stop(signal: "SIGTERM" | "SIGINT" | "SIGKILL" = "SIGTERM"): Promise<number> {
    this.#proc.kill(signal);
    return this.exited;
  }

  async #collect(stream: ReadableStream<Uint8Array>, take: (line: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    let rest = "";
    const reader = stream.getReader();
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) break;
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) take(line);
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    }
    if (rest.trim()) take(rest);
  }
}

function parseLine(line: string): LogRecord {
  try {
    const parsed = JSON.parse(line) as unknown;
    if (typeof parsed === "object" && parsed !== null && "msg" in parsed) return parsed as LogRecord;
  } catch {
    // not a JSON log line
  }
  return { msg: line };
}

/** Runs a binary to completion (a one-shot command such as `ca issue`); resolves with its exit code and output. */
export function runBinary(
  name: "rp-server" | "rp-client",
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new NodeProcess([binary(name), ...args], env).result();
}

/** A started rp-server: its process, pipe port and front URL. */
export interface ServerProcess {
  readonly proc: NodeProcess;
  readonly pipePort: number;
  readonly http: string;
}

/** Starts rp-server (dist/rp-server unless `launcher` says otherwise) on loopback with port 0 everywhere; resolves once it listens. */
export async function startServerProcess(
  identityDir: string,
  env: Record<string, string> = {},
  args: readonly string[] = [],
  launcher: Launcher = binaryLauncher("rp-server"),
): Promise<ServerProcess> {
  const proc = new NodeProcess(
    [...launcher.argv, "start", "--bind", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", "--identity-dir", identityDir, ...args],
    { RP_LOG_FORMAT: "json", ...launcher.env, ...env },
    launcher.cwd,
  );
  const ready = await proc.waitForMessage("server listening");
  const pipe = String(ready["pipe"]);
  return { proc, pipePort: Number(pipe.slice(pipe.lastIndexOf(":") + 1)), http: String(ready["http"]) };
}

/** A started rp-client: its process and front URL. */
export interface ClientProcess {
  readonly proc: NodeProcess;
  readonly http: string;
}

/** Starts rp-client (dist/rp-client unless `launcher` says otherwise) against a server port on 127.0.0.1 (server name "localhost"); resolves once its front listens. */
export async function startClientProcess(
  identityDir: string,
  serverPort: number,
  env: Record<string, string> = {},
  args: readonly string[] = [],
  launcher: Launcher = binaryLauncher("rp-client"),
): Promise<ClientProcess> {
  const proc = new NodeProcess(
    [
      ...launcher.argv,
      "start",
      "--server-host",
      "127.0.0.1",
      "--server-name",
      "localhost",
      "--server-port",
      String(serverPort),
      "--http",
      "127.0.0.1:0",
      "--identity-dir",
      identityDir,
      ...args,
    ],
    { RP_LOG_FORMAT: "json", ...launcher.env, ...env },
    launcher.cwd,
  );
  const ready = await proc.waitForMessage("client started");
  return { proc, http: String(ready["http"]) };
}

/** Environment and extra flags of each process of a pair. */
export interface PairOptions {
  readonly serverEnv?: Record<string, string>;
  readonly clientEnv?: Record<string, string>;
  readonly serverArgs?: readonly string[];
  readonly clientArgs?: readonly string[];
}

/** Starts a server and a client (named `cn` by its certificate in `clientDir`); resolves once the server has it connected. */
export async function startConnectedPair(
  serverDir: string,
  client: { readonly dir: string; readonly cn: string | undefined },
  options: PairOptions = {},
): Promise<{ server: ServerProcess; client: ClientProcess }> {
  const server = await startServerProcess(serverDir, options.serverEnv, options.serverArgs);
  const started = await startClientProcess(client.dir, server.pipePort, options.clientEnv, options.clientArgs);
  await server.proc.waitForMessage("client connected", { client: client.cn });
  return { server, client: started };
}
