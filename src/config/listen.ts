/** Listen addresses for the HTTP front: `host:port`, `[ipv6]:port` or `unix:/path`. */
import { ConfigError } from "./errors.ts";
import { isHost } from "./_host.ts";
import { InvalidValue } from "./_invalid.ts";

/** Where a listener binds: a TCP host and port, or a unix socket path. */
export type Listen =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string };

/** Longest unix socket path in bytes: sun_path is 108 bytes on Linux, including the terminating NUL. */
export const MAX_UNIX_PATH_BYTES = 107;

const EXPECTED = "expected HOST:PORT, [IPV6]:PORT or unix:PATH";

/** Parses a listen address; throws ConfigError naming the text and what is wrong with it. */
export function parseListen(text: string): Listen {
  try {
    return listenFromText(text);
  } catch (error) {
    if (error instanceof InvalidValue) throw new ConfigError([`listen address ${JSON.stringify(text)}: ${error.message}`]);
    throw error;
  }
}

/** The canonical text of a listen address, the inverse of parseListen. */
export function formatListen(listen: Listen): string {
  if (listen.kind === "unix") return `unix:${listen.path}`;
  return listen.host.includes(":") ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
}

/** parseListen for the loader: throws InvalidValue with the bare rule. */
export function listenFromText(text: string): Listen {
  if (text === "") throw new InvalidValue(`is empty (${EXPECTED})`);
  if (text.startsWith("unix:")) return unixListen(text.slice("unix:".length));
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) throw new InvalidValue("has no ] after the IPv6 address");
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest === "") throw new InvalidValue(`has no port (${EXPECTED})`);
    if (!rest.startsWith(":")) throw new InvalidValue(`has ${JSON.stringify(rest)} after ], expected :PORT`);
    if (!host.includes(":") || !isHost(host)) throw new InvalidValue(`has ${JSON.stringify(host)} in brackets, which is not an IPv6 address`);
    portText = rest.slice(1);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon === -1) throw new InvalidValue(`has no port (${EXPECTED})`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) throw new InvalidValue("has an IPv6 address without brackets; write it as [::1]:8080");
    if (host === "") throw new InvalidValue("has no host; use 0.0.0.0 or [::] to listen on every interface");
    if (!isHost(host)) throw new InvalidValue(`has host ${JSON.stringify(host)}, which is not an IP address or host name`);
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65_535) {
    throw new InvalidValue(`has port ${JSON.stringify(portText)}, which is not an integer 0-65535`);
  }
  return Object.freeze({ kind: "tcp", host, port: Number(portText) });
}

function unixListen(path: string): Listen {
  if (path === "") throw new InvalidValue("has an empty unix socket path");
  const bytes = new TextEncoder().encode(path).length;
  if (bytes > MAX_UNIX_PATH_BYTES) {
    throw new InvalidValue(`has a unix socket path of ${bytes} bytes; the limit is ${MAX_UNIX_PATH_BYTES}`);
  }
  if (path.includes("\0")) throw new InvalidValue("has a NUL byte in the unix socket path");
  return Object.freeze({ kind: "unix", path });
}
