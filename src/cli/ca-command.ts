/**
 * `rp-server ca init|issue|revoke|list`: the built-in CA. Its directory is
 * `<identity dir>/ca` unless --dir says otherwise. `ca revoke` also installs
 * the new revocation list in the server's identity directory when the server
 * there trusts this CA, so that a running server applies it within seconds.
 */
import type { ServerConfig } from "../config/index.ts";
import { crlPath } from "../identity/index.ts";
import { identityPaths, initCa, issueFromCa, listCa, parseCertificatesPem, revokeInCa, type CertificateInfo } from "../pki/index.ts";
import { FileError, joinPath, readText, writeFileAtomic } from "../platform/index.ts";
import { UsageError, type CommandLine } from "./args.ts";
import { EXIT, say } from "./program.ts";
import { certificateLines, recordTable } from "./show.ts";

/** Flags of `ca`. */
export const CA_COMMAND_FLAGS = {
  ca: { dir: "string", cn: "string", server: "boolean", san: "string", rsa: "boolean", days: "string" },
} as const;

/** `ca` flags that may repeat. */
export const CA_REPEATABLE_FLAGS = ["san"] as const;

/** The subcommands, for --help. */
export const CA_USAGE = `ca init [--dir DIR] [--cn NAME] [--rsa] [--days N]
                                           create a CA (EC P-256, or RSA-2048 with --rsa; 3650 days)
                                           in DIR (default: <identity dir>/ca)
  rp-server ca issue [--dir DIR] --cn NAME [--rsa] [--days N]
                                           issue a client identity (825 days): NAME.key.pem, NAME.crt.pem
                                           and NAME.bundle.pem for: rp-client set-identity --bundle FILE
  rp-server ca issue [--dir DIR] --server --san HOST [--san HOST ...] [--cn NAME]
                                           issue a server identity with DNS and IP SANs (CN: the first SAN)
  rp-server ca revoke [--dir DIR] NAME|SERIAL
                                           revoke, sign a new CRL; a running rp-server cuts the client off
  rp-server ca list [--dir DIR]            what the CA issued: CN, kind, serial, not after, status`;

/** Runs one `ca` subcommand. */
export async function caCommand(config: ServerConfig, line: CommandLine): Promise<number> {
  const [subcommand, ...rest] = line.positionals;
  const dir = stringFlag(line, "dir") ?? joinPath(config.identityDir, "ca");
  const algorithm = line.flags["rsa"] === true ? "rsa" : "ec";
  switch (subcommand) {
    case "init": {
      noPositionals("init", rest);
      const certificate = await initCa(dir, { cn: stringFlag(line, "cn") ?? "RestPipe CA", algorithm, validityDays: days(line, 3650) });
      say(`created the CA "${certificate.subject}" in ${dir}`);
      for (const text of certificateLines(certificate)) say(text);
      return EXIT.ok;
    }
    case "issue":
      noPositionals("issue", rest);
      return issue(line, dir, algorithm);
    case "revoke":
      if (rest.length !== 1) throw new UsageError("ca revoke needs one NAME or SERIAL");
      return revoke(config, dir, rest[0]!);
    case "list": {
      noPositionals("list", rest);
      const { certificate, records } = await listCa(dir);
      say(`CA "${certificate.subject}" in ${dir}, valid until ${certificate.notAfter.toISOString()}`);
      for (const text of recordTable(records)) say(text);
      return EXIT.ok;
    }
    default:
      throw new UsageError(`ca needs a subcommand: init, issue, revoke or list${subcommand ? ` (not "${subcommand}")` : ""}`);
  }
}

async function issue(line: CommandLine, dir: string, algorithm: "ec" | "rsa"): Promise<number> {
  const server = line.flags["server"] === true;
  const given = line.flags["san"];
  const sans = typeof given === "string" ? [given] : Array.isArray(given) ? (given as string[]) : [];
  if (!server && sans.length > 0) throw new UsageError("--san is for server identities: add --server");
  const cn = stringFlag(line, "cn") ?? (server ? sans[0] : undefined);
  if (cn === undefined) throw new UsageError(server ? "ca issue --server needs --san HOST (or --cn NAME)" : "ca issue needs --cn NAME");
  const kind = server ? "server" : "client";
  const issued = await issueFromCa(dir, { cn, kind, sans, algorithm, validityDays: days(line, 825) });
  const { record, paths } = issued;
  say(`issued a ${kind} certificate for CN=${cn}: serial ${record.serial}, valid until ${record.notAfter}`);
  if (record.sans.length > 0) say(`  SANs     ${record.sans.join(", ")}`);
  say(`  key      ${paths.key}`);
  say(`  cert     ${paths.cert}`);
  say(`  bundle   ${paths.bundle}  (install with: rp-${kind} set-identity --bundle FILE)`);
  if (issued.cappedByCa) say(`note: it ends when the CA does (${record.notAfter}), before the ${days(line, 825)} days asked for`);
  for (const earlier of issued.earlier) {
    say(`note: the earlier certificate for CN=${cn} (serial ${earlier.serial}) stays valid until revoked: rp-server ca revoke ${earlier.serial}`);
  }
  return EXIT.ok;
}

async function revoke(config: ServerConfig, dir: string, which: string): Promise<number> {
  const result = await revokeInCa(dir, which);
  for (const record of result.revoked) say(`revoked ${record.kind} CN=${record.cn} serial ${record.serial}`);
  say(`wrote the revocation list ${result.crlPath}`);
  const target = crlPath(config.identityDir);
  if (await serverTrusts(config.identityDir, result.ca)) {
    await writeFileAtomic(target, result.crlPem, 0o644);
    const when = config.identityPollMs > 0 ? `within ${config.identityPollMs / 1000} s (at once on SIGHUP)` : "on SIGHUP";
    say(`installed it as ${target}: a running rp-server applies it ${when}`);
  } else {
    say(`copy it to the server's identity directory as server.crl.pem (no server identity from this CA in ${config.identityDir})`);
  }
  return EXIT.ok;
}

/** Whether the server identity in `identityDir` trusts `ca` (its CA file holds that very certificate). */
async function serverTrusts(identityDir: string, ca: CertificateInfo): Promise<boolean> {
  let text: string;
  try {
    text = await readText(identityPaths(identityDir, "server").ca);
  } catch (error) {
    if (error instanceof FileError) return false;
    throw error;
  }
  const trusted = await parseCertificatesPem(text).catch(() => []);
  return trusted.some((certificate) => certificate.fingerprintSha256 === ca.fingerprintSha256);
}

function stringFlag(line: CommandLine, name: string): string | undefined {
  const value = line.flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} needs a value`);
  return value;
}

function days(line: CommandLine, fallback: number): number {
  const text = stringFlag(line, "days");
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 36_500) {
    throw new UsageError(`--days="${text}": must be a whole number of days from 1 to 36500`);
  }
  return Number(text);
}

function noPositionals(subcommand: string, rest: readonly string[]): void {
  if (rest.length > 0) throw new UsageError(`ca ${subcommand} takes no arguments, only flags (got "${rest.join(" ")}")`);
}
