/**
 * The certificate a peer presented, parsed once per connection: the accept
 * path reads its serial (revocation) and its CN (the client's name) from the
 * same parse. What stays cached for the connection's life is the plain
 * CertificateInfo only: the pkijs object tree behind a parse (~900 JS objects,
 * tens of KiB) was most of what an idle client cost the server.
 */
import { certificatePolicyRefusal, parseCertificate, type CertificateInfo, type CertificateRole } from "../pki/index.ts";
import type { RefusedConnection } from "../runtime/index.ts";
import type { TransportPeer } from "../pipe/index.ts";

const parsed = new WeakMap<TransportPeer, Promise<CertificateInfo | undefined>>();

/** The peer's parsed certificate, or undefined when it presented none or it cannot be read. */
export function peerCertificate(peer: TransportPeer): Promise<CertificateInfo | undefined> {
  let certificate = parsed.get(peer);
  if (certificate === undefined) {
    // The TLS layer verified the certificate; failing to read it here only means no name.
    certificate = peer.certificateDer ? parseCertificate(peer.certificateDer).then((info) => plainInfo(info, peer.certificateDer!), () => undefined) : Promise.resolve(undefined);
    parsed.set(peer, certificate);
  }
  return certificate;
}

/**
 * The info's own fields without the parser's object attached to it (pki/ decodes the DER again if it ever needs
 * that), its DER the peer's own bytes rather than the parser's copy.
 */
function plainInfo(info: CertificateInfo, der: Uint8Array): CertificateInfo {
  return Object.freeze({ ...info, der });
}

/** The CN of the peer's certificate (a client's name), or undefined. */
export async function peerCn(peer: TransportPeer): Promise<string | undefined> {
  return (await peerCertificate(peer))?.subjectCn || undefined;
}


/**
 * A refused handshake in RestPipe's words: when the certificate the peer presented breaks the certificate policy
 * (the TLS stack says only "unsupported certificate purpose" for an EKU without clientAuth), the policy's reason.
 */
export async function explainRefusal(refused: RefusedConnection, role: CertificateRole): Promise<RefusedConnection> {
  if (refused.peerCertificateDer === undefined) return refused;
  const certificate = await parseCertificate(refused.peerCertificateDer).catch(() => undefined);
  const reason = certificate === undefined ? undefined : certificatePolicyRefusal(certificate, role);
  return reason === undefined ? refused : { ...refused, reason };
}
