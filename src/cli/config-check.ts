/** `config check`: the resolved configuration with each value's source, warnings for stray RP_* variables, and every problem (exit 2). */
import { ConfigError, describeConfig, unknownEnv, type ClientConfig, type ConfigRow, type ConfigSources, type Role, type ServerConfig } from "../config/index.ts";
import { alignColumns } from "../ops/index.ts";
import { UsageError } from "./args.ts";
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
    for (const name of unknownEnv(sources.env ?? {}, role)) complain(program, `warning: ${name} is set but is no RestPipe setting (a typo?)`);
    if (config === undefined || problems.length > 0) {
      complain(program, `invalid configuration, ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `- ${p}`).join("\n")}`);
      return EXIT.usage;
    }
    say(configTable(describeConfig(config, role)));
    say("configuration OK");
    return EXIT.ok;
  };
}
