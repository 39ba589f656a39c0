/**
 * The TLS stacks' wording (OpenSSL messages on Bun, node:tls codes such as
 * UNABLE_TO_VERIFY_LEAF_SIGNATURE on Deno) turned into what an operator needs
 * to read. Shared by every adapter so that both runtimes log alike.
 */

/** Why the server refused a client during the handshake. */
export function refusalReason(text: string): string {
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|peer sent no certificates/i.test(text)) return "no client certificate presented";
  if (/unable[ _]to[ _](verify|get[ _]local[ _]issuer)|self[ _-]signed|first[ _]certificate|unknown[ _]ca/i.test(text)) {
    return `certificate not issued by our CA (${text})`;
  }
  if (/expired/i.test(text)) return `certificate has expired (${text})`;
  if (/not[ _]yet[ _]valid/i.test(text)) return `certificate is not yet valid (${text})`;
  if (/revoked/i.test(text)) return `certificate has been revoked (${text})`;
  return text;
}

/** Why a dial to the server failed during the handshake; `issuer` of the certificate the server presented, when known. */
export function dialReason(text: string, issuer?: string): string {
  if (/CERTIFICATE_REQUIRED/i.test(text)) return `the server requires a client certificate (${text})`;
  // node:tls (Deno) fails the handshake itself for a foreign CA, where Bun opens and reports it unauthorized.
  if (FOREIGN_CA.test(text)) return serverCertificateReason(text, issuer);
  if (/hostname|altname|IP: .* is not in the cert/i.test(text)) return `server certificate does not match the name (${text})`;
  return text;
}

/** The TLS stacks' words for "this certificate does not chain to the CA we trust". */
const FOREIGN_CA = /unable[ _]to[ _](verify|get[ _](local[ _])?issuer)|self[ _-]signed|first[ _]certificate|unknown[ _]ca|LEAF_SIGNATURE/i;

/** True when a TLS error says the peer's certificate does not chain to our CA. */
export function isForeignCa(text: string): boolean {
  return FOREIGN_CA.test(text);
}

/** Why the client refused the server's certificate; a foreign issuer is named, since a TLS-inspecting proxy is the usual cause. */
export function serverCertificateReason(text: string, issuer: string | undefined): string {
  if (!FOREIGN_CA.test(text)) return `server certificate refused: ${text}`;
  const from = issuer === undefined ? "" : `issuer: ${issuer.replace(/\s*\n\s*/g, ", ")}; `;
  return `the server's certificate is not from this client's CA: a TLS-inspecting proxy may be in the way (${from}${text}); dial past it (RP_CLIENT_NO_PROXY, or an exception in the proxy for this server)`;
}
