/** `config check`: the resolved configuration with each value's source, warnings for stray RP_* variables, and every problem (exit 2). */
import { ConfigError, describeConfig, envSuggestion, unknownEnv, type ClientConfig, type CommonConfig, type ConfigRow, type ConfigSources, type Role, type ServerConfig } from "../config/index.ts";
import { alignColumns } from "../ops/index.ts";
import { UsageError } from "./args.ts";
import { identityPaths } from "../pki/index.ts";
import { openShares } from "../share/index.ts";
import { fileMode } from "../platform/index.ts";
import { complain, EXIT, say, type SourceCommand } from "./program.ts";

/** "env BIND_PORT", "flag --port", "file" or "default". */
function sourceText(row: ConfigRow): string {
  switch (row.source) {
    case "env":
      return `env ${row.env}`;
    case "flag":
      return `flag ${row.flag}`;
    default:
      return row.source;
  }
}

/** The rows of `config check` as aligned text. */
export function configTable(rows: readonly ConfigRow[]): string {
  return alignColumns([["SETTING", "VALUE", "SOURCE"], ...rows.map((row) => [row.env, row.value, sourceText(row)])]);
}

/** The `config` command (`config check`) of a program. */
export function configCommand<C extends ServerConfig | ClientConfig>(program: string, role: Role, load: (sources: ConfigSources) => C): SourceCommand {
  return async (sources, fileRead, line) => {
    if (line.positionals.length !== 1 || line.positionals[0] !== "check") throw new UsageError(`config needs the subcommand check: ${program} config check`);
    say(`${program} configuration; config file: ${fileRead.origin ?? "none (RP_" + role.toUpperCase() + "_CONFIG is unset)"}`);
    const problems = [...fileRead.problems];
    let config: C | undefined;
    try {
      config = load(sources);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
    }
    for (const warning of envWarnings(sources.env ?? {}, role)) complain(program, `warning: ${warning}`);
    if (config !== undefined) problems.push(...(await missingIdentityFiles(program, role, config)));
    if (config !== undefined) problems.push(...(await shareProblems(role, config)));
    if (config === undefined || problems.length > 0) {
      complain(program, `invalid configuration, ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `- ${p}`).join("\n")}`);
      return EXIT.usage;
    }
    say(configTable(describeConfig(config, role)));
    say("configuration OK");
    return EXIT.ok;
  };
}

/** One line per set RP_* variable that is no setting: `RP_SERVER_BIND_PROT is set but is no RestPipe setting (a typo of RP_SERVER_BIND_PORT?)`. */
export function envWarnings(env: Readonly<Record<string, string | undefined>>, role: Role): string[] {
  return unknownEnv(env, role).map((name) => {
    const meant = envSuggestion(name);
    return `${name} is set but is no RestPipe setting (${meant === undefined ? "a typo?" : `a typo of ${meant}?`})`;
  });
}

/** What `start` would refuse about the shares (a missing directory, one writable by everyone), one problem each. */
async function shareProblems(role: Role, config: CommonConfig): Promise<string[]> {
  const problems: string[] = [];
  for (const share of config.shares) {
    await openShares([share], config.shareHidden, `RP_${role.toUpperCase()}_SHARES (--share)`).catch((error: unknown) => problems.push((error as Error).message));
  }
  return problems;
}

/** The identity files `start` would need and that are missing, each with the command that installs them. */
async function missingIdentityFiles(program: string, role: Role, config: ServerConfig | ClientConfig): Promise<string[]> {
  const paths = identityPaths(config.identityDir, role);
  const missing: string[] = [];
  for (const path of [paths.key, paths.cert, paths.ca]) if ((await fileMode(path)) === undefined) missing.push(path);
  if (missing.length === 0) return [];
  const variable = `RP_${role.toUpperCase()}_CERT_PATH`;
  return [
    `Cannot start: no identity in ${config.identityDir} (missing ${missing.join(", ")}); ` +
      `install one with: ${program} set-identity --bundle FILE (or KEY CERT CA), or point ${variable} (--identity-dir) at the directory holding it`,
  ];
}
