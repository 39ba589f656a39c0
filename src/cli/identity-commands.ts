/** `set-identity` (three files or one bundle) and `identity show`, for both programs. */
import type { CommonConfig, Role } from "../config/index.ts";
import { crlPath, loadNodeIdentity } from "../identity/index.ts";
import {
  checkIdentity,
  IdentityError,
  identityPaths,
  parseBundle,
  parseCertificatesPem,
  readIdentityFiles,
  storeIdentity,
  type Identity,
} from "../pki/index.ts";
import { readText } from "../platform/index.ts";
import { UsageError, type CommandLine } from "./args.ts";
import { EXIT, say } from "./program.ts";
import { certificateLines } from "./show.ts";

/** Flags of these commands. */
export const IDENTITY_COMMAND_FLAGS = { "set-identity": { bundle: "string" } } as const;

/** `set-identity KEY CERT CA` or `set-identity --bundle FILE`: checks the identity and stores it in the identity directory. */
export async function setIdentityCommand(role: Role, config: CommonConfig, line: CommandLine): Promise<number> {
  const bundle = line.flags["bundle"];
  if (typeof bundle === "string") {
    if (line.positionals.length > 0) throw new UsageError("set-identity takes either --bundle FILE or KEY CERT CA, not both");
    const identity = parseBundle(await readPart("bundle", bundle));
    say(await setIdentity(role, config.identityDir, withPassphrase(identity, config.keyPassphrase)));
    return EXIT.ok;
  }
  if (line.positionals.length !== 3) throw new UsageError("set-identity needs three files: KEY CERT CA (or --bundle FILE)");
  const [keyPath, certPath, caPath] = line.positionals;
  const keyPem = await readPart("private key", keyPath!);
  const certPem = await readPart("certificate", certPath!);
  const caPem = await readPart("CA certificate", caPath!);
  say(await setIdentity(role, config.identityDir, withPassphrase({ keyPem, certPem, caPem }, config.keyPassphrase)));
  return EXIT.ok;
}

/** Checks `identity` and stores it in `dir`; returns the line to print. */
async function setIdentity(role: Role, dir: string, identity: Identity): Promise<string> {
  const checked = await checkIdentity(identity);
  const paths = await storeIdentity(dir, role, identity);
  const { certificate } = checked;
  return `stored the ${role} identity CN=${certificate.subjectCn} (issued by ${certificate.issuer}, valid until ${certificate.notAfter.toISOString()}) in ${paths.key}, ${paths.cert}, ${paths.ca}`;
}

/** `identity show`: this node's certificate and CA, whether they pass the checks, and the server's revocation list. */
export async function identityShowCommand(role: Role, config: CommonConfig, line: CommandLine): Promise<number> {
  if (line.positionals[0] !== "show" || line.positionals.length !== 1) throw new UsageError("identity takes one subcommand: show");
  const dir = config.identityDir;
  const files = await readIdentityFiles(identityPaths(dir, role), config.keyPassphrase);
  const [certificate] = await parseCertificatesPem(files.certPem);
  say(`${role} identity in ${dir}`);
  say("certificate");
  for (const text of certificateLines(certificate!)) say(text);
  for (const ca of await parseCertificatesPem(files.caPem)) {
    say("CA certificate");
    for (const text of certificateLines(ca)) say(text);
  }
  let status: number = EXIT.ok;
  try {
    const loaded = await loadNodeIdentity(dir, role, config.keyPassphrase);
    if (loaded.crl) {
      const lapsed = loaded.identity.crlPem === undefined ? " (lapsed)" : "";
      say(`revocation list ${crlPath(dir)}: ${loaded.revoked.size} revoked, number ${loaded.crl.crlNumber ?? "?"}, next update ${loaded.crl.nextUpdate?.toISOString() ?? "none"}${lapsed}`);
    }
    say(loaded.problem ? `check: ${loaded.problem.message}` : "check: OK");
    if (loaded.problem) status = EXIT.failure;
  } catch (error) {
    say(`check: ${(error as Error).message}`);
    status = EXIT.failure;
  }
  return status;
}

async function readPart(what: string, path: string): Promise<string> {
  try {
    return await readText(path);
  } catch (cause) {
    throw new IdentityError("files", `Cannot read the ${what}: ${(cause as Error).message}`, { cause });
  }
}

function withPassphrase(identity: Identity, passphrase: string | undefined): Identity {
  return passphrase === undefined ? identity : { ...identity, passphrase };
}
