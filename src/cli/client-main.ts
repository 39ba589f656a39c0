/** rp-client's commands. */
import { loadClientConfig, settingsRows, type ClientConfig } from "../config/index.ts";
import { startClient } from "../client/index.ts";
import { lookupHost } from "../platform/index.ts";
import { selectRuntime } from "../runtime/index.ts";
import { IDENTITY_COMMAND_FLAGS } from "./identity-commands.ts";
import { configCommand } from "./config-check.ts";
import { ENROLL_COMMAND_FLAGS, enrollCommand } from "./enroll-commands.ts";
import { HANDLER_COMMAND_FLAGS, HANDLER_SHORT_FLAGS, handlerCommand, handlerUsage } from "./handler-command.ts";
import { nodeCommands } from "./node-main.ts";
import { clientOpsCommands } from "./ops-commands.ts";
import { settingsText } from "./help-text.ts";
import { runProgram } from "./program.ts";
import { POLICY_COMMAND_FLAGS, POLICY_USAGE, policyCommand } from "./policy-command.ts";
import { VERSION } from "./version.ts";

const PROGRAM = "rp-client";

/** The --help text. */
export function clientHelp(): string {
  return `${PROGRAM} ${VERSION}: one end of RestPipe; keeps an mTLS pipe to the server, reconnecting forever.

Usage:
  ${PROGRAM} start [flags]                 dial the server; serve GET|HEAD|POST|PUT|PATCH|DELETE
                                           /server/<noun>
  ${PROGRAM} set-identity KEY CERT CA      check and store this client's key, certificate and
                                           the CA (which also verifies the server)
  ${PROGRAM} set-identity --bundle FILE    the same from one bundle file
                                           (made by: rp-server ca issue --cn NAME)
  ${PROGRAM} identity request --cn NAME [--out DIR] [--rsa] [--force]
                                           make a key (kept here, 0600) and DIR/NAME.csr.pem
                                           for the CA
  ${PROGRAM} set-identity --cert CERT --ca CA
                                           store the CA's certificate for that request with its key
  ${PROGRAM} enroll --server HOST[:PORT] --token TOKEN
                                           enroll online (rp-server ca token, ca serve): key made
                                           here, TLS pinned to the token's CA (--token -: stdin)
  ${PROGRAM} identity show                 this client's certificate and CA: CN, SANs, issuer,
                                           validity, fingerprint
  ${PROGRAM} status [--http ADDR]          show the pipe's state (from the running client's front)
  ${PROGRAM} ${POLICY_USAGE}  the policy's verdict on the server's call, and the deciding rule
  ${PROGRAM} ${handlerUsage(PROGRAM)}
  ${PROGRAM} config check                  print the resolved configuration
                                           (flags > env > file > defaults) and every problem in it
  ${PROGRAM} version | help                also -v, --version, -h, --help (with any command)

A running client reloads its key, certificate and CA on SIGHUP and when those files change:
the next connection uses them; the established pipe stays up.

Flags and environment (flags win over the environment, which wins over the config file named by
RP_CLIENT_CONFIG: JSON, or TOML when it ends in .toml, keyed by the environment names):
${settingsText(settingsRows("client"))}
`;
}

/** Runs rp-client with `argv`; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  return runProgram(
    {
      program: PROGRAM,
      role: "client",
      help: clientHelp,
      loadConfig: loadClientConfig,
      commands: {
        ...nodeCommands("client", await selectRuntime(), (config: ClientConfig, deps) => startClient(config, { ...deps, lookupHost })),
        ...clientOpsCommands(),
        policy: policyCommand,
        handler: (config, line) => handlerCommand("client", PROGRAM, config, line),
        enroll: enrollCommand,
      },
      sourceCommands: { config: configCommand(PROGRAM, "client", loadClientConfig) },
      commandFlags: { ...IDENTITY_COMMAND_FLAGS, ...POLICY_COMMAND_FLAGS, ...HANDLER_COMMAND_FLAGS, ...ENROLL_COMMAND_FLAGS },
      shortFlags: HANDLER_SHORT_FLAGS,
    },
    argv,
  );
}
