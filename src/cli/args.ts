/** argv → command, positionals and flags (node:util parseArgs, strict: unknown flags are errors). */
import { parseArgs } from "node:util";

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
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    const flags: Record<string, string | boolean | readonly string[]> = {};
    for (const [name, value] of Object.entries(values)) if (value !== undefined) flags[name] = value as string | boolean | string[];
    return { command: positionals[0], positionals: positionals.slice(1), flags };
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
}
