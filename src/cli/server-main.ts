/** rp-server's commands. */
import { loadServerConfig, settingsRows } from "../config/index.ts";
import { selectRuntime } from "../runtime/index.ts";
import { startServer } from "../server/index.ts";
import { CA_COMMAND_FLAGS, CA_REPEATABLE_FLAGS, CA_USAGE, caCommand } from "./ca-command.ts";
import { IDENTITY_COMMAND_FLAGS } from "./identity-commands.ts";
import { configCommand } from "./config-check.ts";
import { HANDLER_COMMAND_FLAGS, HANDLER_SHORT_FLAGS, handlerCommand, handlerUsage } from "./handler-command.ts";
import { nodeCommands } from "./node-main.ts";
import { CLIENTS_COMMAND_FLAGS, serverOpsCommands } from "./ops-commands.ts";
import { settingsText } from "./help-text.ts";
import { runProgram } from "./program.ts";
import { POLICY_COMMAND_FLAGS, POLICY_USAGE, policyCommand } from "./policy-command.ts";
import { VERSION } from "./version.ts";

const PROGRAM = "rp-server";

/** The --help text. */
export function serverHelp(): string {
  return `${PROGRAM} ${VERSION}: the central end of RestPipe, an mTLS pipe to many clients.

Usage:
  ${PROGRAM} start [flags]                 accept clients; serve GET|HEAD|POST|PUT|PATCH|DELETE
                                           /client/<cn>/<noun>
                                           and /clients/<selector>/<noun> (many at once: *, edge-*, a,b, role=db)
  ${PROGRAM} set-identity KEY CERT CA      check and store this server's key, certificate and CA
  ${PROGRAM} set-identity --bundle FILE    the same from one bundle file
                                           (made by: ${PROGRAM} ca issue --server)
  ${PROGRAM} identity show                 this server's certificate and CA: CN, SANs, issuer,
                                           validity, fingerprint
  ${PROGRAM} ${CA_USAGE}
  ${PROGRAM} clients [--http ADDR] [--label KEY=VALUE ...] [--fleet]
                                           list the connected clients (from the server's front),
                                           or only those with all the labels given;
                                           --fleet: every CN of the fleet and the server holding it
  ${PROGRAM} ${POLICY_USAGE}  the policy's verdict on a client's call, and the deciding rule
  ${PROGRAM} ${handlerUsage(PROGRAM)}
  ${PROGRAM} config check                  print the resolved configuration
                                           (flags > env > file > defaults) and every problem in it
  ${PROGRAM} version | help                also -v, --version, -h, --help (with any command)

A running server reloads its key, certificate, CA and revocation list (server.crl.pem in the
identity directory) on SIGHUP and when those files change, without dropping established pipes.

Flags and environment (flags win over the environment, which wins over the config file named by
RP_SERVER_CONFIG: JSON, or TOML when it ends in .toml, keyed by the environment names):
${settingsText(settingsRows("server"))}
`;
}

/** Runs rp-server with `argv`; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  return runProgram(
    {
      program: PROGRAM,
      role: "server",
      help: serverHelp,
      loadConfig: loadServerConfig,
      commands: {
        ...nodeCommands("server", await selectRuntime(), startServer),
        ...serverOpsCommands(),
        ca: caCommand,
        policy: policyCommand,
        handler: (config, line) => handlerCommand("server", PROGRAM, config, line),
      },
      sourceCommands: { config: configCommand(PROGRAM, "server", loadServerConfig) },
      commandFlags: { ...IDENTITY_COMMAND_FLAGS, ...CA_COMMAND_FLAGS, ...POLICY_COMMAND_FLAGS, ...CLIENTS_COMMAND_FLAGS, ...HANDLER_COMMAND_FLAGS },
      shortFlags: HANDLER_SHORT_FLAGS,
      repeatableFlags: CA_REPEATABLE_FLAGS,
    },
    argv,
  );
}
