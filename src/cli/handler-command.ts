/**
 * `handler init DIR | check FILE | bundle FILE -o OUT`: the kit for writing
 * a handler module with only the binary at hand. `check` and `bundle` use
 * the bundler inside the binary (src/runtime/bundler.ts).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { CommonConfig, Role } from "../config/index.ts";
import { HOOK_NAMES } from "../dispatch/index.ts";
import { bundleModule, type BundleMessage } from "../runtime/index.ts";
import { UsageError, type CommandLine } from "./args.ts";
import { handlerApiText, handlersTemplate, TSCONFIG_TEMPLATE } from "./_handler-template.ts";
import { loadHandlerModule } from "./handlers.ts";
import { complain, EXIT, say } from "./program.ts";

/** Flags of `handler`. */
export const HANDLER_COMMAND_FLAGS = { handler: { out: "string", force: "boolean" } } as const;

/** Short flags of `handler` (`-o FILE`). */
export const HANDLER_SHORT_FLAGS = { o: "out" } as const;

/** The verbs a handler name can start with (the front's six methods; head_* answers HEAD). */
export const VERBS = ["get", "head", "post", "put", "patch", "delete"] as const;

/** The subcommands, for --help (after "  <program> "). */
export function handlerUsage(program: string): string {
  const pad = " ".repeat(43);
  return `handler init DIR [--force]
${pad}write handlers.ts (a typed template), restpipe.d.ts (the handler
${pad}API of this version) and tsconfig.json into DIR
  ${program} handler check FILE
${pad}load a handler module: its handlers and hooks, exports that
${pad}match no verb, syntax errors at file:line:column
  ${program} handler bundle FILE -o OUT
${pad}bundle a handler and its npm dependencies into one file OUT`;
}

/** Runs one `handler` subcommand. */
export async function handlerCommand(role: Role, program: string, _config: CommonConfig, line: CommandLine): Promise<number> {
  const [subcommand, ...rest] = line.positionals;
  switch (subcommand) {
    case "init":
      return init(role, program, one("init DIR", rest), line.flags["force"] === true);
    case "check":
      return check(program, one("check FILE", rest));
    case "bundle": {
      const out = line.flags["out"];
      if (typeof out !== "string" || out === "") throw new UsageError("handler bundle needs -o OUT (the file to write)");
      return bundle(program, one("bundle FILE", rest), out);
    }
    default:
      throw new UsageError(`handler needs a subcommand: init, check or bundle${subcommand ? ` (not "${subcommand}")` : ""}`);
  }
}

function one(usage: string, rest: readonly string[]): string {
  if (rest.length !== 1) throw new UsageError(`handler ${usage}: needs exactly one ${usage.split(" ")[1]}`);
  return rest[0]!;
}

// Where a source checkout is when run from source (src/cli/ → the root); unused in the compiled binary.
const SOURCE_ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../..");

function init(role: Role, program: string, dir: string, force: boolean): number {
  const files = { "handlers.ts": handlersTemplate(role, program), "restpipe.d.ts": handlerApiText(SOURCE_ROOT), "tsconfig.json": TSCONFIG_TEMPLATE };
  const existing = Object.keys(files).filter((name) => existsSync(join(dir, name)));
  if (existing.length > 0 && !force) {
    throw new UsageError(`Cannot write the handler kit: ${existing.map((name) => join(dir, name)).join(", ")} already exist; add --force to overwrite them`);
  }
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
    say(`wrote ${join(dir, name)}`);
  }
  say(`next: edit handlers.ts (an editor checks it against restpipe.d.ts), then: ${program} handler check ${join(dir, "handlers.ts")}`);
  return EXIT.ok;
}

function formatMessage(message: BundleMessage): string {
  const where = message.file === undefined ? "" : `${message.file}${message.line === undefined ? "" : `:${message.line}:${message.column ?? 0}`}: `;
  return `${where}${message.level}: ${message.message}${message.lineText === undefined ? "" : `\n    ${message.lineText}`}`;
}

/** Every function a handler module offers under a name (own properties and class methods), sorted. */
function functionNames(handlers: object): string[] {
  const names = new Set<string>();
  for (let target: object | null = handlers; target && target !== Object.prototype; target = Object.getPrototypeOf(target)) {
    for (const name of Object.getOwnPropertyNames(target)) {
      if (name === "constructor") continue;
      if (typeof Object.getOwnPropertyDescriptor(target, name)?.value === "function") names.add(name);
    }
  }
  return [...names].sort();
}

async function check(program: string, file: string): Promise<number> {
  const path = resolve(file);
  const built = await bundleModule(path);
  for (const message of built.messages) complain(program, formatMessage(message));
  if (!built.ok) {
    complain(program, `Cannot load handler module ${path}: ${built.messages.filter((m) => m.level === "error").length} error(s) above; fix them and check again`);
    return EXIT.failure;
  }
  const handlers = await loadHandlerModule(path, process.cwd());
  const names = functionNames(handlers);
  const hooks = names.filter((name) => (HOOK_NAMES as readonly string[]).includes(name));
  const verbPattern = new RegExp(`^(${VERBS.join("|")})_.`);
  const routed = names.filter((name) => verbPattern.test(name));
  const stray = names.filter((name) => !hooks.includes(name) && !routed.includes(name));
  say(`handler module ${path}`);
  say(`handlers  ${routed.length === 0 ? "(none)" : routed.map((name) => `${name} (${name.slice(0, name.indexOf("_")).toUpperCase()} ${name.slice(name.indexOf("_") + 1).replaceAll("_", "/")})`).join(", ")}`);
  say(`hooks     ${hooks.length === 0 ? "(none)" : hooks.join(", ")}`);
  for (const name of stray) {
    complain(program, `warning: ${name} matches no verb (${VERBS.join(", ")}) and is no hook (${HOOK_NAMES.join(", ")}): it is never called; rename it <verb>_<noun> or stop exporting it`);
  }
  return EXIT.ok;
}

async function bundle(program: string, file: string, out: string): Promise<number> {
  const path = resolve(file);
  const built = await bundleModule(path);
  for (const message of built.messages) complain(program, formatMessage(message));
  if (!built.ok) {
    complain(program, `Cannot bundle ${path}: ${built.messages.filter((m) => m.level === "error").length} error(s) above`);
    return EXIT.failure;
  }
  if (built.files !== 1) {
    complain(program, `Cannot bundle ${path} into one file: the bundler made ${built.files} (an asset or a split chunk); import assets as text or inline them`);
    return EXIT.failure;
  }
  const target = resolve(out);
  writeFileSync(target, built.code);
  say(`wrote ${target} (${new TextEncoder().encode(built.code).length} bytes): carry it to the host and set RP_EVENT_HANDLER=${target}`);
  return EXIT.ok;
}
