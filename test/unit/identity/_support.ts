/** Helpers for the node/ tests: a logger that keeps records, and loaded identities made from the test PKI. */
import { createConsoleLogger, type Logger } from "../../../src/log/index.ts";
import type { LoadedIdentity } from "../../../src/identity/index.ts";
import { parseCertificatesPem, type Identity } from "../../../src/pki/index.ts";

/** A log record as the JSON logger writes it. */
export type Record = { [key: string]: unknown; level: string; msg: string };

/** A logger whose records are kept in `records`. */
export function recordingLogger(): { log: Logger; records: Record[] } {
  const records: Record[] = [];
  const log = createConsoleLogger({ level: "debug", format: "json", write: (line) => records.push(JSON.parse(line) as Record) });
  return { log, records };
}

/** A LoadedIdentity for `identity`, as loadNodeIdentity would return it without a CRL. */
export async function loadedFrom(identity: Identity, more: Partial<LoadedIdentity> = {}): Promise<LoadedIdentity> {
  const [certificate] = await parseCertificatesPem(identity.certPem);
  const tls = { keyPem: identity.keyPem, certPem: identity.certPem, caPem: identity.caPem };
  return { identity: tls, certificate: certificate!, ca: await parseCertificatesPem(identity.caPem), crl: undefined, crlPem: undefined, revoked: new Set(), problem: undefined, ...more };
}
