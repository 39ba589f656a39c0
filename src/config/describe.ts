/** Showing the settings: `--help` lines, `config check` rows, flag types for the CLI's argv parser, stray RP_* variables. */
import { CONFIG_FILE_ENV } from "./config-file.ts";
import { closestName } from "./suggest.ts";
import { originsOf } from "./_origins.ts";
import { CLIENT_SETTINGS, Derived, SERVER_SETTINGS, settingsOf, type Setting } from "./_settings.ts";
import type { ClientConfig, ConfigSource, Role, ServerConfig } from "./types.ts";

/** One row of `config check`: a setting, its value (secrets as "(set)"), where it came from and how to set it. */
export interface ConfigRow {
  readonly key: string;
  readonly value: string;
  readonly source: ConfigSource;
  /** The variable (or config-file key) the value was read from; the canonical name otherwise. */
  readonly env: string;
  /** `--port`, or "" when the setting has no flag. */
  readonly flag: string;
  readonly description: string;
}

/**
 * Every setting of a config returned by loadServerConfig / loadClientConfig, with its source.
 * Throws TypeError for a config built another way (it carries no sources) or of the other role.
 */
export function describeConfig(config: ServerConfig | ClientConfig, role: Role): ConfigRow[] {
  const origins = originsOf(config);
  if (origins === undefined) throw new TypeError("Cannot describe config: it was not returned by loadServerConfig or loadClientConfig");
  if (origins.role !== role) throw new TypeError(`Cannot describe config as ${role}: it is a ${origins.role} config`);
  return settingsOf(role).map(([key, setting]) => {
    const origin = origins.byKey[key];
    return {
      key,
      value: setting.parser.format((config as unknown as Record<string, unknown>)[key]),
      source: origin?.source ?? "default",
      env: origin !== undefined && origin.source !== "flag" ? origin.name : setting.env[0],
      flag: setting.flag === undefined ? "" : `--${setting.flag}`,
      description: setting.description,
    };
  });
}

/** The settings as --help lines: `  --flag VALUE   ENV_NAME   description (default: x)`, columns aligned. */
export function settingsHelp(role: Role): string {
  const rows = settingsRows(role).map(({ flag, env, text }) => [flag, env, text] as const);
  const flagWidth = Math.max(...rows.map(([flag]) => flag.length));
  const envWidth = Math.max(...rows.map(([, env]) => env.length));
  return rows.map(([flag, env, text]) => `  ${flag.padEnd(flagWidth)}   ${env.padEnd(envWidth)}   ${text}`).join("\n");
}

/** One setting for --help: its flag with placeholder ("" when it has none), its canonical variable, and what it does. */
export interface SettingHelpRow {
  readonly flag: string;
  readonly env: string;
  readonly text: string;
}

/** The settings of a role as --help describes them, in table order. */
export function settingsRows(role: Role): SettingHelpRow[] {
  return settingsOf(role).map(([, setting]) => ({ flag: flagColumn(setting), env: setting.env[0]!, text: describeDefault(setting) }));
}

function flagColumn(setting: Setting<unknown>): string {
  if (setting.flag === undefined) return "";
  return setting.parser.placeholder === "" ? `--${setting.flag}` : `--${setting.flag} ${setting.parser.placeholder}`;
}

function describeDefault(setting: Setting<unknown>): string {
  const fallback =
    setting.default instanceof Derived ? setting.default.text : setting.default === undefined ? "unset" : setting.parser.format(setting.default);
  const aliases = setting.env.length > 1 ? `; also read from ${setting.env.slice(1).join(", ")}` : "";
  return `${setting.description} (default: ${fallback}${aliases})`;
}

/** The flags of a role and whether each takes a value ("string") or is a switch ("boolean"); shaped for util.parseArgs-style parsers. */
export function flagTypes(role: Role): Readonly<Record<string, "string" | "boolean">> {
  const entries = settingsOf(role).flatMap(([, setting]) =>
    setting.flag === undefined ? [] : [[setting.flag, setting.parser.placeholder === "" ? "boolean" : "string"] as const],
  );
  return Object.freeze(Object.fromEntries(entries));
}

/** The setting flags of a role that may be given more than once (`--share`): they arrive as lists. */
export function repeatableFlags(role: Role): readonly string[] {
  return settingsOf(role).flatMap(([, setting]) => (setting.flag !== undefined && setting.repeatable ? [setting.flag] : []));
}

const ALL_ENV_NAMES: ReadonlySet<string> = new Set([
  ...[SERVER_SETTINGS, CLIENT_SETTINGS].flatMap((table) => Object.values<Setting<unknown>>(table).flatMap((setting) => setting.env)),
  ...Object.values(CONFIG_FILE_ENV).flat(),
]);

/** The setting a mistyped RP_* variable most likely meant (`RP_SERVER_BIND_PROT` → `RP_SERVER_BIND_PORT`), or undefined. */
export function envSuggestion(name: string): string | undefined {
  return closestName(name, ALL_ENV_NAMES);
}

/**
 * Set RP_* variables that are settings of neither role, sorted, for `config check` to warn about
 * (typos, or leftovers of other tools). The config-file variables count as known. Not errors: other tools may share the environment.
 * Names of the other role count as known because a server and a client often share one environment,
 * so `_role` does not change the answer; it is accepted so callers can pass it.
 */
export function unknownEnv(env: Readonly<Record<string, string | undefined>>, _role?: Role): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith("RP_") && env[name] !== undefined && !ALL_ENV_NAMES.has(name))
    .sort();
}
