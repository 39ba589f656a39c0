/**
 * The config file: JSON, or TOML when its name ends in `.toml`, whose keys
 * are the environment names (`RP_SERVER_BIND_PORT = 1234`). Its path comes
 * from RP_SERVER_CONFIG / RP_CLIENT_CONFIG (the seed's
 * RP_*_USER_CONFIG_MODULE are accepted as aliases). Reading the file is
 * the CLI's job; this module only finds the path and parses the text.
 */
import type { Role } from "./types.ts";

/** The variables naming each role's config file: canonical first, then the seed's alias. */
export const CONFIG_FILE_ENV: Readonly<Record<Role, readonly [string, string]>> = {
  server: ["RP_SERVER_CONFIG", "RP_SERVER_USER_CONFIG_MODULE"],
  client: ["RP_CLIENT_CONFIG", "RP_CLIENT_USER_CONFIG_MODULE"],
};

/** Where a role's config file is, and which variable said so; undefined when none is set (or it is empty). */
export function configFileLocation(role: Role, env: Readonly<Record<string, string | undefined>>): { path: string; variable: string } | undefined {
  for (const variable of CONFIG_FILE_ENV[role]) {
    const path = env[variable];
    if (path !== undefined && path !== "") return { path, variable };
  }
  return undefined;
}

/**
 * Parses config-file text; rejects with Error "Cannot read config file PATH: ..." when it is not a JSON object or
 * TOML table. smol-toml is loaded here, for a .toml file only: a node without one does not carry it.
 */
export async function parseConfigFile(text: string, path: string): Promise<Record<string, unknown>> {
  const toml = path.toLowerCase().endsWith(".toml");
  const parseToml = toml ? (await import("smol-toml")).parse : undefined;
  let parsed: unknown;
  try {
    parsed = parseToml ? parseToml(text) : JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0];
    throw new Error(`Cannot read config file ${path}: invalid ${toml ? "TOML" : "JSON"}: ${reason}`, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`Cannot read config file ${path}: the top level must be ${toml ? "a table" : "an object"} of settings keyed by environment names`);
  }
  return parsed as Record<string, unknown>;
}
