/**
 * `identity request --cn NAME`: a key that never leaves this host (kept in
 * the identity directory as `<role>.request.key.pem`, 0600) and a CSR to
 * carry to the CA; `set-identity --cert CERT --ca CA` later pairs the
 * certificate the CA returned with that key.
 */
import type { CommonConfig, Role } from "../config/index.ts";
import { checkIdentity, createKeyRequest, IdentityError, storeIdentity } from "../pki/index.ts";
import { ensureDir, FileError, fileMode, joinPath, readText, writeFileAtomic } from "../platform/index.ts";
import { unlink } from "node:fs/promises";
import { UsageError, type CommandLine } from "./args.ts";
import { EXIT, say } from "./program.ts";

/** Where the key of a pending request waits for its certificate. */
export function requestKeyPath(identityDir: string, role: Role): string {
  return joinPath(identityDir, `${role}.request.key.pem`);
}

/** `identity request --cn NAME [--out DIR] [--rsa] [--force]`. */
export async function identityRequestCommand(role: Role, config: CommonConfig, line: CommandLine): Promise<number> {
  if (role === "server") {
    // ca sign issues client certificates only: a server identity made this way would fail every client's check.
    throw new UsageError("Cannot make a request for a server identity: ca sign issues client certificates; use: rp-server ca issue --server --san HOST");
  }
  const cn = line.flags["cn"];
  if (typeof cn !== "string" || cn === "") throw new UsageError("identity request needs --cn NAME (the name this node will have)");
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/.test(cn)) {
    throw new UsageError(`--cn "${cn}": must be 1-128 letters, digits, ".", "_", "-" or "@", starting with a letter or digit`);
  }
  const out = typeof line.flags["out"] === "string" ? line.flags["out"] : ".";
  const request = await createKeyRequest(cn, line.flags["rsa"] === true ? "rsa" : "ec");
  const keyPath = requestKeyPath(config.identityDir, role);
  const csrPath = joinPath(out, `${cn}.csr.pem`);
  if (line.flags["force"] !== true && (await fileMode(keyPath)) !== undefined) {
    throw new UsageError(`Cannot make a new request: ${keyPath} holds the key of a pending one (its certificate would no longer fit); add --force to replace it`);
  }
  await ensureDir(config.identityDir, 0o700);
  await writeFileAtomic(keyPath, request.keyPem, 0o600);
  await writeFileAtomic(csrPath, request.csrPem, 0o644);
  say(`wrote the private key ${keyPath} (0600: it stays on this host)`);
  say(`wrote the request ${csrPath}`);
  say(`next: on the CA host: rp-server ca sign ${cn}.csr.pem; then here: rp-client set-identity --cert ${cn}.crt.pem --ca ca.crt.pem`);
  return EXIT.ok;
}

/** `set-identity --cert CERT --ca CA`: the certificate for the pending request's key; the key moves into place. */
export async function setIdentityFromRequest(role: Role, config: CommonConfig, certPath: string, caPath: string): Promise<number> {
  const keyPath = requestKeyPath(config.identityDir, role);
  let keyPem: string;
  try {
    keyPem = await readText(keyPath);
  } catch (cause) {
    if (cause instanceof FileError && cause.reason === "no such file") {
      const program = role === "server" ? "rp-server" : "rp-client";
      throw new IdentityError("files", `Cannot pair the certificate with a key: no pending request in ${config.identityDir} (${keyPath}); make one with: ${program} identity request --cn NAME`, { cause });
    }
    throw cause;
  }
  const identity = { keyPem, certPem: await readPart("certificate", certPath), caPem: await readPart("CA certificate", caPath) };
  const { certificate } = await checkIdentity(identity);
  const paths = await storeIdentity(config.identityDir, role, identity);
  await unlink(keyPath);
  say(`stored the ${role} identity CN=${certificate.subjectCn} (issued by ${certificate.issuer}, valid until ${certificate.notAfter.toISOString()}) in ${paths.key}, ${paths.cert}, ${paths.ca}`);
  return EXIT.ok;
}

async function readPart(what: string, path: string): Promise<string> {
  try {
    return await readText(path);
  } catch (cause) {
    throw new IdentityError("files", `Cannot read the ${what}: ${(cause as Error).message}`, { cause });
  }
}
