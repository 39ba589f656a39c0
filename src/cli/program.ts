/**
 * The command-line shell both programs share: parse argv, answer --help,
 * load the configuration, run a command, turn errors into messages and exit
 * codes. Each program supplies its help text and its commands.
 */
import { ConfigError, flagTypes, repeatableFlags, type ClientConfig, type ConfigSources, type Role, type ServerConfig } from "../config/index.ts";
import { commandWord, parseCommandLine, UnknownOptionError, UsageError, type CommandLine } from "./args.ts";
import { wrapHelp } from "./help-text.ts";
import { versionText } from "./version.ts";
import { readConfigFile, type ConfigFileRead } from "./config-file.ts";
import { printableLines } from "../log/index.ts";

/** Exit codes of both programs. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Writes a line to standard output (the CLI's one place for it); names from certificates in it cannot act on the terminal. */
export function say(line: string): void {
  console.log(printableLines(line));
}

/** Writes an error line to standard error, prefixed with the program name. */
export function complain(program: string, message: string): void {
  console.error(`${program}: ${printableLines(message).replaceAll("\n", `\n${" ".repeat(program.length + 2)}`)}`);
}

/** Turns any start-up error into a message and an exit code. */
export function failureMessage(error: unknown): { message: string; exitCode: number } {
  if (error instanceof ConfigError) return { message: `invalid configuration:\n${error.message}`, exitCode: EXIT.usage };
  return { message: error instanceof Error ? error.message : String(error), exitCode: EXIT.failure };
}

/** One command: resolves with the exit code (a long-running command never resolves). */
export type Command<C> = (config: C, line: CommandLine) => Promise<number>;

/** A command that loads the configuration itself (`config check`): it gets the raw sources and the config file's read. */
export type SourceCommand = (sources: ConfigSources, fileRead: ConfigFileRead, line: CommandLine) => Promise<number>;

/** What distinguishes rp-server from rp-client here. */
export interface ProgramSpec<C extends ServerConfig | ClientConfig> {
  readonly program: string;
  readonly role: Role;
  readonly help: () => string;
  readonly loadConfig: (sources: ConfigSources) => C;
  readonly commands: Readonly<Record<string, Command<C>>>;
  /** Commands that load the configuration themselves (`config check`): they get the raw sources. */
  readonly sourceCommands?: Readonly<Record<string, SourceCommand>>;
  /** Flags that only some commands take (beyond the settings), by command; another command refuses them. */
  readonly commandFlags?: Readonly<Record<string, Readonly<Record<string, "string" | "boolean">>>>;
  /** Command flags that may be given more than once (they arrive as arrays). */
  readonly repeatableFlags?: readonly string[];
  /** One-letter aliases of command flags (`-o` for `--out`). */
  readonly shortFlags?: Readonly<Record<string, string>>;
}

/** Runs one command line and resolves with the exit code. */
export async function runProgram<C extends ServerConfig | ClientConfig>(spec: ProgramSpec<C>, argv: readonly string[]): Promise<number> {
  try {
    const extraFlags: Record<string, "string" | "boolean"> = Object.assign({}, ...Object.values(spec.commandFlags ?? {}));
    const repeatable = [...repeatableFlags(spec.role), ...(spec.repeatableFlags ?? [])];
    const line = parseCommandLine(argv, { ...flagTypes(spec.role), ...extraFlags, help: "boolean", version: "boolean" }, repeatable, spec.shortFlags);
    const { help, version, ...rest } = line.flags;
    // -h, --help, help; -v, -V, --version, version: with any command, as users try them.
    if (version || line.command === "version") {
      say(versionText(spec.program));
      return EXIT.ok;
    }
    if (help || line.command === "help" || line.command === undefined) {
      say(wrapHelp(spec.help()));
      return line.command === undefined && !help ? EXIT.usage : EXIT.ok;
    }
    const command = spec.commands[line.command];
    const sourceCommand = spec.sourceCommands?.[line.command];
    if (!command && !sourceCommand) throw new UsageError(`unknown command "${line.command}" (try --help)`);
    const own = spec.commandFlags?.[line.command] ?? {};
    const misplaced = Object.keys(rest).find((name) => name in extraFlags && !(name in own));
    if (misplaced !== undefined) throw new UsageError(`--${misplaced} is not a flag of ${line.command} (try --help)`);
    const settings = Object.fromEntries(Object.entries(rest).filter(([name]) => !(name in extraFlags)));
    const env = withoutEmpty(process.env);
    const fileRead = await readConfigFile(spec.role, env);
    const sources: ConfigSources = { env, flags: settings, file: fileRead.file };
    if (sourceCommand) return await sourceCommand(sources, fileRead, { ...line, flags: rest });
    if (fileRead.problems.length > 0) throw new ConfigError(fileRead.problems);
    return await command!(spec.loadConfig(sources), { ...line, flags: rest });
  } catch (error) {
    if (error instanceof UnknownOptionError) {
      const command = commandWord(argv);
      const known = command !== undefined && (command in spec.commands || command in (spec.sourceCommands ?? {}));
      complain(spec.program, `${error.message}; see ${spec.program} ${known ? `${command} ` : ""}--help`);
      return EXIT.usage;
    }
    if (error instanceof UsageError) {
      complain(spec.program, error.message);
      return EXIT.usage;
    }
    const { message, exitCode } = failureMessage(error);
    complain(spec.program, message);
    return exitCode;
  }
}

/** The environment with empty variables left out: `RP_SERVER_BIND_PORT=` means unset, as in most programs. */
export function withoutEmpty(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== "") kept[name] = value;
  return kept;
}
