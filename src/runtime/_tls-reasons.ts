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

/** Why a dial to the server failed during the handshake. */
export function dialReason(text: string): string {
  if (/CERTIFICATE_REQUIRED/i.test(text)) return `the server requires a client certificate (${text})`;
  if (/hostname|altname|IP: .* is not in the cert/i.test(text)) return `server certificate does not match the name (${text})`;
  return text;
}
