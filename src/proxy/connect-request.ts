/** The one request a client sends its proxy: `CONNECT host:port HTTP/1.1`, with Basic credentials when it has them. */
import { proxyAddress, type ProxyEndpoint } from "./endpoint.ts";

/** The CONNECT request for `host:port` through `proxy`, as bytes to write on the fresh TCP connection. */
export function connectRequest(host: string, port: number, proxy: ProxyEndpoint): Uint8Array {
  const target = proxyAddress({ host, port });
  const lines = [`CONNECT ${target} HTTP/1.1`, `Host: ${target}`];
  if (proxy.username !== undefined) lines.push(`Proxy-Authorization: Basic ${basicCredentials(proxy.username, proxy.password ?? "")}`);
  return new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`);
}

/** RFC 7617: base64 of the UTF-8 bytes of `user:password`. */
export function basicCredentials(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
