/** `rp-server clients` and `rp-client status`: the running node's status, read from its front's /_rp/status.json. */
import type { ClientConfig, CommonConfig, Role, ServerConfig } from "../config/index.ts";
import { clientsTable, clientStatusText, fleetClientsTable, OPS_PATHS, type ClientStatusJson, type ServerStatusJson, type StatusJson } from "../ops/index.ts";
import { fetchFront, frontUrl } from "../platform/index.ts";
import { parseLabels, type Labels } from "../labels/index.ts";
import { UsageError } from "./args.ts";
import { EXIT, say, type Command } from "./program.ts";

/** Flags of `clients`. */
export const CLIENTS_COMMAND_FLAGS = { clients: { label: "string", fleet: "boolean" } } as const;

/** The status of the `role` node whose front `config.http` names; errors say where it looked and how to point elsewhere. */
export async function readStatus(config: CommonConfig, role: Role): Promise<StatusJson> {
  const program = `rp-${role}`;
  const hint = `is ${program} running with this configuration? --http or RP_${role.toUpperCase()}_HTTP_BIND says where its front listens`;
  let response: Response;
  try {
    response = await fetchFront(config.http, OPS_PATHS.status, { token: config.httpToken });
  } catch (error) {
    throw new Error(`${(error as Error).message}; ${hint}`, { cause: error });
  }
  const url = frontUrl(config.http, OPS_PATHS.status);
  if (!response.ok) throw new Error(`Cannot read the status at ${url}: the front answered HTTP ${response.status} (${hint})`);
  const status = (await response.json().catch(() => undefined)) as StatusJson | undefined;
  if (status?.role !== role) throw new Error(`Cannot read the status at ${url}: ${status ? `it is an rp-${status.role}'s front` : "the answer is not a RestPipe status"} (${hint})`);
  return status;
}

/** rp-server's `clients`. */
export function serverOpsCommands(): Record<string, Command<ServerConfig>> {
  return {
    async clients(config, line) {
      const given = line.flags["label"];
      const texts = typeof given === "string" ? [given] : Array.isArray(given) ? (given as readonly string[]) : [];
      let wanted: Labels | undefined;
      try {
        wanted = texts.length > 0 ? parseLabels(texts) : undefined;
      } catch (error) {
        throw new UsageError(`--label: ${(error as Error).message}`);
      }
      const status = (await readStatus(config, "server")) as ServerStatusJson;
      say(line.flags["fleet"] === true ? fleetClientsTable(status) : clientsTable(status, wanted));
      return EXIT.ok;
    },
  };
}

/** rp-client's `status`. */
export function clientOpsCommands(): Record<string, Command<ClientConfig>> {
  return {
    async status(config) {
      say(clientStatusText((await readStatus(config, "client")) as ClientStatusJson));
      return EXIT.ok;
    },
  };
}
