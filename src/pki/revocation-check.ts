/**
 * The CRL check for a TLS stack that ignores `crl` (Deno's node:tls accepts it
 * and ignores it, seen on 2.9.6): built by the composition root and handed to
 * the runtime adapter as TlsListenOptions.revocationCheck, so a client whose
 * serial the CRL lists is refused right after the handshake, before its pipe
 * starts, with the reason a TLS stack gives. Reading the CRL loads pkijs (node:crypto has no CRL
 * parser): only a node that has a CRL pays for it. As in OpenSSL, a CRL past its nextUpdate refuses
 * everyone, and so does one that cannot be read or is not signed by the CA.
 */
import { parseCertificate, parseCertificatesPem } from "./certificate.ts";
import { readCrl } from "./issuing.ts";

/** Why the client certificate `der` must be refused, or undefined when it may pass (runtime's TlsListenOptions.revocationCheck). */
export type RevocationCheck = (der: Uint8Array | undefined) => Promise<string | undefined>;

/** The check for a CRL signed by one of `caPem`'s certificates; undefined when there is no CRL. */
export function revocationCheck(caPem: string, crlPem: string | undefined, now: () => Date = () => new Date()): RevocationCheck | undefined {
  if (crlPem === undefined) return undefined;
  const crl = parseCertificatesPem(caPem).then((cas) => readCrl(crlPem, cas));
  crl.catch(() => {}); // reported with every connection it refuses
  return async (der) => {
    let info;
    try {
      info = await crl;
    } catch (error) {
      return `the revocation list cannot be used: ${(error as Error).message}`;
    }
    if (info.nextUpdate !== undefined && info.nextUpdate.getTime() < now().getTime()) {
      return `the revocation list expired on ${info.nextUpdate.toISOString()}`;
    }
    if (der === undefined) return "no client certificate presented";
    const { serialHex } = await parseCertificate(der);
    return info.serials.has(serialHex) ? `certificate has been revoked (serial ${serialHex})` : undefined;
  };
}
