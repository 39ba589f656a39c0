/** argv → command, positionals and flags (node:util parseArgs, strict: unknown flags are errors, with a did-you-mean). */
import { parseArgs } from "node:util";
import { closestName } from "../config/index.ts";

/** A parsed command line. */
export interface CommandLine {
  readonly command: string | undefined;
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean | readonly string[]>>;
}

/** The command line could not be parsed. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A flag no command knows; `suggestion` is the closest known one. The program adds where to look (`see rp-server start --help`). */
export class UnknownOptionError extends UsageError {
  override name = "UnknownOptionError";
  constructor(
    readonly option: string,
    readonly suggestion: string | undefined,
  ) {
    super(`Unknown option ${option}${suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`}`);
  }
}

/** Short spellings every command takes, as their long flags. */
const SHORT: Readonly<Record<string, string>> = { "-h": "--help", "-v": "--version", "-V": "--version" };

/** Parses `argv` (without the program) given the flags the command knows. Multiple-use flags come as arrays; `short` maps letters (`o`) to flags (`out`). */
export function parseCommandLine(
  argv: readonly string[],
  flagTypes: Readonly<Record<string, "string" | "boolean">>,
  multiple: readonly string[] = [],
  short: Readonly<Record<string, string>> = {},
): CommandLine {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {};
  for (const [name, type] of Object.entries(flagTypes)) options[name] = multiple.includes(name) ? { type, multiple: true } : { type };
  for (const [letter, name] of Object.entries(short)) if (options[name]) options[name] = { ...options[name], short: letter };
  const end = argv.indexOf("--");
  const args = argv.map((arg, i) => (end !== -1 && i > end ? arg : (SHORT[arg] ?? arg)));
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    const flags: Record<string, string | boolean | readonly string[]> = {};
    for (const [name, value] of Object.entries(values)) if (value !== undefined) flags[name] = value as string | boolean | string[];
    return { command: positionals[0], positionals: positionals.slice(1), flags };
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const option = /'([^']+)'/.exec((error as Error).message)?.[1] ?? "";
      const name = option.replace(/^-+/, "").split("=")[0]!;
      const suggestion = closestName(name, Object.keys(flagTypes));
      throw new UnknownOptionError(option.split("=")[0]!, suggestion === undefined ? undefined : `--${suggestion}`);
    }
    throw new UsageError((error as Error).message, { cause: error });
  }
}

/** The command word of an argv (its first token that is not a flag), for "see rp-server start --help". */
export function commandWord(argv: readonly string[]): string | undefined {
  return argv.find((arg) => !arg.startsWith("-"));
}
