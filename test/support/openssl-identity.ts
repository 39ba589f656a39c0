/**
 * Identities made with the openssl CLI from a test PKI's CA, for certificates the project's own issuer will not
 * make: weak keys, SHA-1 signatures, CA:TRUE leaves, other extended key usages, no subjectAltName.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { identityPaths } from "../../src/pki/index.ts";
import type { FileIdentity, TestPki } from "./pki.ts";

/** How to make one certificate with openssl. */
export interface OpensslCertificateOptions {
  /** `-newkey` arguments: EC P-256 by default (fast to make), ["rsa:2048"], ["rsa:1024"], ["ed25519"], ... */
  readonly newkey?: readonly string[];
  /** Signature digest: "sha256" (default), "sha1", ... */
  readonly digest?: string;
  /** Lines of the extension file (`basicConstraints=CA:TRUE`, `extendedKeyUsage=serverAuth`); none by default. */
  readonly extensions?: readonly string[];
}

let serial = 0;

/** Issues `cn` from `pki`'s CA with openssl and writes an identity directory for `role` (key, certificate, CA). */
export function opensslIdentity(pki: TestPki, role: "client" | "server", cn: string, options: OpensslCertificateOptions = {}): FileIdentity {
  const dir = join(pki.dir, `openssl-${role}-${++serial}-${cn.replace(/[^\w.-]/g, "_")}`);
  mkdirSync(dir, { mode: 0o700 });
  const paths = identityPaths(dir, role);
  const csr = join(dir, "req.csr");
  const ext = join(dir, "ext.cnf");
  run(["req", "-new", "-nodes", "-newkey", ...(options.newkey ?? ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]), "-keyout", paths.key, "-out", csr, "-subj", `/CN=${cn}`], dir);
  writeFileSync(ext, `${(options.extensions ?? []).join("\n")}\n`);
  run(
    ["x509", "-req", "-in", csr, "-CA", pki.ca.certPath, "-CAkey", pki.ca.keyPath, "-set_serial", String(1000 + serial), "-days", "30",
      `-${options.digest ?? "sha256"}`, "-extfile", ext, "-out", paths.cert],
    dir,
  );
  chmodSync(paths.key, 0o600);
  writeFileSync(paths.ca, pki.ca.certPem);
  const read = (path: string) => readFileSync(path, "utf8");
  return { cn, dir, keyPath: paths.key, certPath: paths.cert, caPath: paths.ca, keyPem: read(paths.key), certPem: read(paths.cert), caPem: pki.ca.certPem };
}

function run(args: readonly string[], cwd: string): void {
  const result = Bun.spawnSync(["openssl", ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`openssl ${args.join(" ")} failed with ${result.exitCode}: ${result.stderr.toString()}`);
}
