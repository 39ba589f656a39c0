/**
 * The certificate a peer presented, parsed once per connection: the accept
 * path reads its serial (revocation) and its CN (the client's name) from the
 * same parse.
 */
import { parseCertificate, type CertificateInfo } from "../pki/index.ts";
import type { TransportPeer } from "../pipe/index.ts";

const parsed = new WeakMap<TransportPeer, Promise<CertificateInfo | undefined>>();

/** The peer's parsed certificate, or undefined when it presented none or it cannot be read. */
export function peerCertificate(peer: TransportPeer): Promise<CertificateInfo | undefined> {
  let certificate = parsed.get(peer);
  if (certificate === undefined) {
    // The TLS layer verified the certificate; failing to read it here only means no name.
    certificate = peer.certificateDer ? parseCertificate(peer.certificateDer).catch(() => undefined) : Promise.resolve(undefined);
    parsed.set(peer, certificate);
  }
  return certificate;
}

/** The CN of the peer's certificate (a client's name), or undefined. */
export async function peerCn(peer: TransportPeer): Promise<string | undefined> {
  return (await peerCertificate(peer))?.subjectCn || undefined;
}
