/** Reading the config file named by RP_SERVER_CONFIG / RP_CLIENT_CONFIG (or the seed's aliases) into the loader's `file` source. */
import { configFileLocation, parseConfigFile, type Role } from "../config/index.ts";
import { readText } from "../platform/index.ts";

/** The file's settings (empty when no file is configured) and the problems reading it, as config problems. */
export interface ConfigFileRead {
  readonly file: Readonly<Record<string, unknown>>;
  /** "RP_SERVER_CONFIG=/etc/rp.toml" when a file is configured. */
  readonly origin: string | undefined;
  readonly problems: readonly string[];
}

/** Reads and parses the role's config file, if one is configured; never throws. */
export async function readConfigFile(role: Role, env: Readonly<Record<string, string | undefined>>): Promise<ConfigFileRead> {
  const location = configFileLocation(role, env);
  if (location === undefined) return { file: {}, origin: undefined, problems: [] };
  const origin = `${location.variable}=${location.path}`;
  try {
    return { file: await parseConfigFile(await readText(location.path), location.path), origin, problems: [] };
  } catch (error) {
    const message = (error as Error).message;
    const problem = message.startsWith("Cannot read config file") ? `${location.variable}: ${message}` : `${location.variable}: Cannot read config file ${message}`;
    return { file: {}, origin, problems: [problem] };
  }
}
