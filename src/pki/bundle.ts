/**
 * An identity bundle: one PEM text with the private key, the certificate and
 * the CA certificate, to carry a whole identity to an air-gapped host as one
 * file. Comment lines at the top say whose it is; readers skip them.
 */
import type { Identity } from "./identity.ts";
import { PemError } from "./errors.ts";
import { pemBlocks, toPem, type PemBlock } from "./pem.ts";

const KEY_BLOCK = /-----BEGIN ((?:ENCRYPTED |EC |RSA )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/g;

/** What the header of a bundle says. */
export interface BundleLabel {
  readonly cn: string;
  readonly kind: "client" | "server";
  readonly issuer: string;
  readonly notAfter: Date;
}

/** The bundle text: `#` comment lines, then the key, the certificate and the CA certificate(s). */
export function formatBundle(identity: Identity, label: BundleLabel): string {
  const program = label.kind === "server" ? "rp-server" : "rp-client";
  return [
    `# RestPipe ${label.kind} identity bundle: CN=${label.cn}, issued by ${label.issuer}, valid until ${label.notAfter.toISOString()}`,
    "# It holds a private key: keep it secret, carry it, then delete the copy.",
    `# Install it with: ${program} set-identity --bundle FILE`,
    identity.keyPem.trimEnd(),
    identity.certPem.trimEnd(),
    identity.caPem.trimEnd(),
    "",
  ].join("\n");
}

/**
 * Splits a bundle into an identity: the private key block, the first
 * certificate (this node's) and every further certificate (the CA). Nothing is
 * checked beyond that; checkIdentity does the rest.
 */
export function parseBundle(text: string): Identity {
  // The key block is kept as written: a legacy encrypted key carries headers that re-encoding would drop.
  const keys = [...text.matchAll(KEY_BLOCK)].map((match) => `${match[0]}\n`);
  const certificates = certificateBlocks(text);
  if (keys.length !== 1 || certificates.length < 2) {
    const counted = `${plural(keys.length, "private key")} and ${plural(certificates.length, "certificate")}`;
    throw new PemError(`Cannot read the bundle: it needs one private key, this node's certificate and the CA's; it holds ${counted}`);
  }
  const [leaf, ...ca] = certificates;
  return {
    keyPem: keys[0]!,
    certPem: toPem(leaf!.label, leaf!.der),
    caPem: ca.map((block) => toPem(block.label, block.der)).join(""),
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function certificateBlocks(text: string): PemBlock[] {
  try {
    return pemBlocks(text).filter((block) => block.label === "CERTIFICATE");
  } catch (cause) {
    throw new PemError(`Cannot read the bundle: ${(cause as Error).message.replace(/^Cannot [^:]+: /, "")}`, { cause });
  }
}
