/** What a proxy's refusal means for the operator: the cause, and the setting that fixes it. */
import type { ConnectReply } from "./connect-reply.ts";
import type { ProxyEndpoint } from "./endpoint.ts";

/** The setting operators fix a proxy problem in. */
const SETTING = "RP_CLIENT_PROXY";

/** The auth schemes a `Proxy-Authenticate` header offers, e.g. ["Basic", "NTLM"]. */
export function offeredSchemes(header: string | undefined): string[] {
  if (header === undefined) return [];
  // A scheme is a token at the start of a challenge: after the start or a comma, not followed by "=" (that is a parameter).
  const schemes = [...header.matchAll(/(?:^|,)\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?=\s|,|$)(?!\s*=)/g)].map((m) => m[1]!);
  return [...new Set(schemes)];
}

/** Why the tunnel was refused, for a non-2xx answer to CONNECT. */
export function refusalMessage(reply: ConnectReply, proxy: ProxyEndpoint, targetPort: number): string {
  const status = `${reply.status}${reply.reason ? ` ${reply.reason}` : ""}`;
  // tinyproxy answers wrong credentials with 401 rather than 407.
  if (reply.status === 407 || reply.status === 401) {
    return authMessage(status, offeredSchemes(reply.headers.get("proxy-authenticate") ?? reply.headers.get("www-authenticate")), proxy);
  }
  if (reply.status === 403) return `the proxy refused the tunnel (${status}); ask its operator to allow CONNECT to port ${targetPort}, or set RP_CLIENT_NO_PROXY for this server`;
  // tinyproxy says 500 "Unable to connect" where squid says 502 or 503.
  if (reply.status >= 500 && reply.status <= 504) {
    return `the proxy could not reach the server (${status}); check RP_CLIENT_TARGET_HOSTNAME/RP_CLIENT_TARGET_PORT and that the proxy may reach them`;
  }
  if (reply.status >= 300 && reply.status < 400) return `the proxy answered CONNECT with a redirect (${status}); set ${SETTING} to the proxy itself`;
  return `the proxy refused the tunnel (${status}); check ${SETTING}`;
}

function authMessage(status: string, schemes: readonly string[], proxy: ProxyEndpoint): string {
  const asked = schemes.length === 0 ? "no scheme named" : `it asks for ${schemes.join(", ")}`;
  const basic = schemes.length === 0 || schemes.some((scheme) => scheme.toLowerCase() === "basic");
  if (!basic) {
    return `the proxy requires authentication (${status}; ${asked}) that rp-client does not speak (it speaks Basic); run a local helper such as cntlm or px and set ${SETTING} to it`;
  }
  if (proxy.username === undefined) return `the proxy requires authentication (${status}; ${asked}); set ${SETTING}=http://USER:PASSWORD@host:port`;
  return `the proxy refused the credentials of user ${JSON.stringify(proxy.username)} (${status}; ${asked}); check the user and password in ${SETTING}`;
}
