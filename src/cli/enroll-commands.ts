/**
 * Online enrollment on the command line: `rp-server ca token`, `rp-server
 * ca serve` (the separate enrollment listener) and `rp-client enroll`.
 */
import type { ClientConfig, ServerConfig } from "../config/index.ts";
import { identityPaths, parseCertificatesPem, readIdentityFiles, storeIdentity, checkIdentity } from "../pki/index.ts";
import { FileError, readText } from "../platform/index.ts";
import { UsageError, type CommandLine } from "./args.ts";
import { makeLogger, onShutdownSignal } from "./node-main.ts";
import { EXIT, say } from "./program.ts";

/** The enrollment listener's port when `--listen` / `--server` give none. */
export const DEFAULT_ENROLL_PORT = 1235;

/** Flags of `enroll` (rp-client). */
export const ENROLL_COMMAND_FLAGS = { enroll: { server: "string", token: "string" } } as const;

function text(line: CommandLine, name: string, usage: string): string {
  const value = line.flags[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`${usage} needs --${name}`);
  return value;
}

/** `HOST`, `HOST:PORT`, `[v6]:PORT` → host and port. */
export function hostPort(value: string, fallbackPort: number): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(value);
  const port = match?.[3] === undefined ? fallbackPort : Number(match[3]);
  if (!match || port > 65_535) throw new UsageError(`"${value}": must be HOST or HOST:PORT (port 0-65535)`);
  return { host: match[1] ?? match[2]!, port };
}

/** `ca token --cn NAME [--ttl 1h]`: prints a one-time enrollment token. */
export async function tokenCommand(caDir: string, line: CommandLine): Promise<number> {
  const cn = text(line, "cn", "ca token");
  const ttl = typeof line.flags["ttl"] === "string" ? line.flags["ttl"] : "1h";
  const { createToken, parseTtl } = await import("../enroll/index.ts");
  let ttlMs: number;
  try {
    ttlMs = parseTtl(ttl);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const made = await createToken(caDir, cn, ttlMs);
  say(made.token);
  process.stderr.write(
    `one-time token for CN=${cn}, valid until ${made.record.expiresAt}, for the CA with fingerprint ${made.caFingerprint}\n` +
      `on the client host: rp-client enroll --server HOST:${DEFAULT_ENROLL_PORT} --token TOKEN   (while rp-server ca serve runs)\n`,
  );
  return EXIT.ok;
}

/** `ca serve [--listen HOST:PORT] [--days N]`: the enrollment listener, until a signal. */
export async function serveCommand(config: ServerConfig, caDir: string, line: CommandLine, validityDays: number): Promise<number> {
  const listen = hostPort(typeof line.flags["listen"] === "string" ? line.flags["listen"] : `0.0.0.0:${DEFAULT_ENROLL_PORT}`, DEFAULT_ENROLL_PORT);
  const log = makeLogger(config, "server");
  const identity = await readIdentityFiles(identityPaths(config.identityDir, "server"), config.keyPassphrase);
  const { certificate } = await checkIdentity(identity);
  const { startEnrollServer } = await import("../enroll/index.ts");
  const server = await startEnrollServer({
    caDir,
    keyPem: identity.keyPem,
    certPem: identity.certPem,
    ...(config.keyPassphrase === undefined ? {} : { passphrase: config.keyPassphrase }),
    host: listen.host,
    port: listen.port,
    validityDays,
    reservedCns: certificate.subjectCn === undefined ? [] : [certificate.subjectCn],
    log,
  });
  log.info("enrollment listening", { address: `${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${server.port}`, ca: caDir, certificate: certificate.subject });
  onShutdownSignal(log, () => server.close());
  return new Promise<number>(() => {}); // runs until a signal
}

/** `enroll --server HOST[:PORT] --token T`: a key made here, a certificate from the CA, stored as this client's identity. */
export async function enrollCommand(config: ClientConfig, line: CommandLine): Promise<number> {
  const target = hostPort(text(line, "server", "enroll"), DEFAULT_ENROLL_PORT);
  const tokenText = text(line, "token", "enroll");
  const { enroll, parseToken } = await import("../enroll/index.ts");
  const token = parseToken(tokenText === "-" ? await readStdin() : tokenText);
  await refuseToReplace(config);
  const enrolled = await enroll({ ...target, ...(config.serverName === undefined ? {} : { serverName: config.serverName }) }, token);
  const { certificate } = await checkIdentity(enrolled);
  const paths = await storeIdentity(config.identityDir, "client", enrolled);
  say(`enrolled as CN=${certificate.subjectCn} (issued by ${certificate.issuer}, valid until ${certificate.notAfter.toISOString()}): stored ${paths.key} (0600, made here), ${paths.cert}, ${paths.ca}`);
  return EXIT.ok;
}

/** `--token -`: the token from standard input (kept out of the process list). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** An identity that is already there stays: enrolling again is a decision (remove client.crt.pem first). */
async function refuseToReplace(config: ClientConfig): Promise<void> {
  const path = identityPaths(config.identityDir, "client").cert;
  let pem: string;
  try {
    pem = await readText(path);
  } catch (error) {
    if (error instanceof FileError) return;
    throw error;
  }
  const [certificate] = await parseCertificatesPem(pem).catch(() => []);
  throw new UsageError(`Cannot enroll: ${path} already holds an identity (CN=${certificate?.subjectCn ?? "?"}); remove it first to enroll anew`);
}
