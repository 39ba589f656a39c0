/** Addresses as the runtime adapters print them. */

/** "host:port", with brackets for IPv6. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
