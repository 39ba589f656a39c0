/**
 * A per-test-run certificate authority in a fresh temp directory: a server identity for 127.0.0.1/localhost and
 * helpers for good and bad client identities (foreign CA, expired, not yet valid, no CN). EC P-256 throughout,
 * so a whole PKI costs a few milliseconds; the CAs are made once per process and shared.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCa, identityPaths, issueCertificate, type Identity, type KeyAlgorithm, type PemIdentity } from "../../src/pki/index.ts";

/** An identity written to files: `dir` is an identity directory (see identityPaths) holding the three PEM files. */
export interface FileIdentity extends Identity {
  readonly cn: string | undefined;
  readonly dir: string;
  readonly keyPath: string;
  readonly certPath: string;
  readonly caPath: string;
}

/** Options for a test client (or server) certificate. */
export interface TestIdentityOptions {
  readonly algorithm?: KeyAlgorithm;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly validityDays?: number;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  /** Client labels (SAN URIs restpipe:label:key=value). */
  readonly labels?: Readonly<Record<string, string>>;
}

/** One test PKI; call cleanup() when done (afterAll). */
export interface TestPki {
  readonly dir: string;
  readonly ca: PemIdentity & { readonly certPath: string; readonly keyPath: string };
  /** CN "localhost", SAN DNS localhost + IP 127.0.0.1 + ::1 (or the serverCn given). */
  readonly server: FileIdentity;
  /** A good client identity: certificate for `cn` from this CA, trusting this CA. */
  client(cn: string, options?: TestIdentityOptions): Promise<FileIdentity>;
  /** Another server identity from this CA (default CN "localhost" with the loopback SANs). */
  serverIdentity(cn?: string, options?: TestIdentityOptions): Promise<FileIdentity>;
  /** A client certificate from a foreign CA; it trusts this run's CA, so it gets as far as the server, which must refuse it. */
  foreignClient(cn: string): Promise<FileIdentity>;
  /** A client whose certificate expired yesterday (valid from 30 days ago). */
  expiredClient(cn: string): Promise<FileIdentity>;
  /** A client whose certificate becomes valid tomorrow. */
  notYetValidClient(cn: string): Promise<FileIdentity>;
  /** A client whose certificate subject has no CN (only O=RestPipe tests). */
  clientWithoutCn(): Promise<FileIdentity>;
  /** Removes the temp directory. */
  cleanup(): Promise<void>;
}

const DAY_MS = 86_400_000;
const LOOPBACK = { dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"] } as const;

// Made once per test process: creating a CA is the only step worth sharing, and sharing it changes nothing a test sees.
let sharedCa: Promise<PemIdentity> | undefined;
let sharedForeignCa: Promise<PemIdentity> | undefined;

/** Creates a test PKI in a fresh temp directory, with the server identity already written. */
export async function makeTestPki(options: { serverCn?: string; foreignCa?: boolean } = {}): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), "restpipe-pki-"));
  // foreignCa: a whole second PKI under the foreign CA (its own server and clients), e.g. a server of another CA.
  const ca = await (options.foreignCa ? (sharedForeignCa ??= createCa({ cn: "Foreign Test CA" })) : (sharedCa ??= createCa({ cn: "RestPipe Test CA" })));
  const caPaths = { certPath: join(dir, "ca.crt.pem"), keyPath: join(dir, "ca.key.pem") };
  await writeSecret(caPaths.keyPath, ca.keyPem);
  await writePublic(caPaths.certPath, ca.certPem);
  let count = 0;

  const save = async (role: "client" | "server", cn: string | undefined, issued: PemIdentity, caPem = ca.certPem) => {
    const identityDir = join(dir, `${role}-${++count}${cn === undefined ? "" : `-${cn.replace(/[^\w.-]/g, "_")}`}`);
    await mkdir(identityDir, { mode: 0o700 });
    const paths = identityPaths(identityDir, role);
    await writeSecret(paths.key, issued.keyPem);
    await writePublic(paths.cert, issued.certPem);
    await writePublic(paths.ca, caPem);
    const identity: FileIdentity = {
      cn, dir: identityDir, keyPath: paths.key, certPath: paths.cert, caPath: paths.ca,
      keyPem: issued.keyPem, certPem: issued.certPem, caPem,
    };
    return identity;
  };
  const issue = (role: "client" | "server", cn: string | undefined, more: TestIdentityOptions & { ca?: PemIdentity } = {}) => {
    const { ca: issuer = ca, ...rest } = more;
    return issueCertificate({ ca: issuer, role, ...(cn === undefined ? { organization: "RestPipe tests" } : { cn }), ...rest });
  };
  const serverIdentity = async (cn = "localhost", more: TestIdentityOptions = {}) =>
    save("server", cn, await issue("server", cn, { ...LOOPBACK, ...more }));
  const client = async (cn: string, more: TestIdentityOptions = {}) => save("client", cn, await issue("client", cn, more));

  const server = await serverIdentity(options.serverCn ?? "localhost");
  return {
    dir,
    ca: { ...ca, ...caPaths },
    server,
    client,
    serverIdentity,
    async foreignClient(cn) {
      const foreign = await (sharedForeignCa ??= createCa({ cn: "Foreign Test CA" }));
      return save("client", cn, await issue("client", cn, { ca: foreign }));
    },
    expiredClient: (cn) => client(cn, { notBefore: new Date(Date.now() - 30 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) }),
    notYetValidClient: (cn) => client(cn, { notBefore: new Date(Date.now() + DAY_MS), notAfter: new Date(Date.now() + 30 * DAY_MS) }),
    clientWithoutCn: async () => save("client", undefined, await issue("client", undefined)),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

async function writeSecret(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
}

async function writePublic(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o644 });
  await chmod(path, 0o644);
}
