/** An HTTP proxy the client dials through, and how it is shown without its password. */

/** A parsed `http://[user:pass@]host:port` proxy. */
export interface ProxyEndpoint {
  /** Host name or IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** Basic-auth user, percent-decoded; undefined when the URL has none. */
  readonly username?: string;
  /** Basic-auth password, percent-decoded; never logged or shown. */
  readonly password?: string;
}

/** `host:port`, with brackets around an IPv6 literal. */
export function proxyAddress(endpoint: Pick<ProxyEndpoint, "host" | "port">): string {
  return `${endpoint.host.includes(":") ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}`;
}

/** The proxy as a URL safe to log and show: `http://alice:(set)@proxy:3128` (the password never appears). */
export function formatProxy(endpoint: ProxyEndpoint): string {
  if (endpoint.username === undefined) return `http://${proxyAddress(endpoint)}`;
  const password = endpoint.password === undefined ? "" : ":(set)";
  return `http://${encodeURIComponent(endpoint.username)}${password}@${proxyAddress(endpoint)}`;
}
