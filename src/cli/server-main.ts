/** rp-server's commands. */
import { loadServerConfig, settingsHelp } from "../config/index.ts";
import { bunRuntime } from "../runtime/bun/index.ts";
import { startServer } from "../server/index.ts";
import { configCommand } from "./config-check.ts";
import { nodeCommands } from "./node-main.ts";
import { serverOpsCommands } from "./ops-commands.ts";
import { runProgram } from "./program.ts";
import { VERSION } from "./version.ts";

const PROGRAM = "rp-server";

/** The --help text. */
export function serverHelp(): string {
  return `${PROGRAM} ${VERSION}: the central end of RestPipe, an mTLS pipe to many clients.

Usage:
  ${PROGRAM} start [flags]                 accept clients; serve GET|POST|PUT|PATCH|DELETE /client/<cn>/<noun>
  ${PROGRAM} set-identity KEY CERT CA      check and store this server's key, certificate and CA
  ${PROGRAM} clients [--http ADDR]         list the connected clients (from the running server's front)
  ${PROGRAM} config check                  print the resolved configuration (flags > env > file > defaults)
                                           and every problem in it
  ${PROGRAM} --version | --help

Flags and environment (flags win over the environment, which wins over the config file named by
RP_SERVER_CONFIG: JSON, or TOML when it ends in .toml, keyed by the environment names):
${settingsHelp("server")}
`;
}

/** Runs rp-server with `argv`; resolves with the exit code. */
export function main(argv: readonly string[]): Promise<number> {
  return runProgram(
    {
      program: PROGRAM,
      role: "server",
      help: serverHelp,
      loadConfig: loadServerConfig,
      commands: { ...nodeCommands("server", bunRuntime, startServer), ...serverOpsCommands() },
      sourceCommands: { config: configCommand(PROGRAM, "server", loadServerConfig) },
    },
    argv,
  );
}
