/**
 * HTTP/1.1 written by hand over a plain TCP socket, for what fetch and curl
 * would not send: request targets kept as written (`/a/../b`), headers
 * without the body they announce, bodies that never end.
 */
import type { Socket } from "bun";

/** One response as it came off the wire. */
export interface RawResponse {
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A raw connection to an `http://host:port` origin. */
export interface RawConnection {
  /** Writes text or bytes as they are. */
  write(data: string | Uint8Array): void;
  /** The first complete response (by Content-Length), or a rejection after `timeoutMs`. */
  response(timeoutMs?: number): Promise<RawResponse>;
  /** Resolves with the ms from open to the close by either side. */
  readonly closed: Promise<number>;
  close(): void;
}

/** Opens a TCP connection to the origin of `url`. */
export async function rawConnect(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  let received = "";
  let wake: () => void = () => {};
  const opened = performance.now();
  const { promise: closed, resolve: onClosed } = Promise.withResolvers<number>();
  const socket: Socket = await Bun.connect({
    hostname,
    port: Number(port),
    socket: {
      data(_socket, chunk) {
        received += new TextDecoder().decode(chunk);
        wake();
      },
      close() {
        onClosed(performance.now() - opened);
        wake();
      },
    },
  });
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  return {
    write: (data) => void socket.write(data),
    async response(timeoutMs = 5_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const parsed = parseResponse(received);
        if (parsed) return parsed;
        if (isClosed) throw new Error(`Cannot read a response: closed after ${JSON.stringify(received)}`);
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`Cannot read a response within ${timeoutMs} ms; got ${JSON.stringify(received)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    closed,
    close: () => socket.end(),
  };
}

/** Sends one request with `Connection: close` and resolves its response: `rawRequest(url, "GET /a/../b")`. */
export async function rawRequest(url: string, requestLine: string, headers: Record<string, string> = {}, body = ""): Promise<RawResponse> {
  const connection = await rawConnect(url);
  const lines = Object.entries({ host: new URL(url).host, connection: "close", ...headers }).map(([name, value]) => `${name}: ${value}`);
  connection.write(`${requestLine} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n${body}`);
  try {
    return await connection.response();
  } finally {
    connection.close();
  }
}

function parseResponse(text: string): RawResponse | undefined {
  const end = text.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const [statusLine = "", ...headerLines] = text.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? 0);
  const body = text.slice(end + 4);
  if (body.length < length) return undefined;
  return { status: Number(statusLine.split(" ")[1]), headers, body: body.slice(0, length) };
}
