/**
 * A minimal HTTP CONNECT relay for the proxy benchmark, to tell the cost of
 * a proxy hop from the cost of tinyproxy: node:net in this process, both
 * legs with TCP_NODELAY, bytes piped as they come (stream back-pressure, no
 * read-size limit), loopback targets only.
 */
import { createServer, connect, type Server, type Socket } from "node:net";

/** A running relay on 127.0.0.1. */
export interface ConnectRelay {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts the relay on a free loopback port. */
export async function startConnectRelay(): Promise<ConnectRelay> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((downstream) => {
    sockets.add(downstream);
    downstream.setNoDelay(true);
    let head = "";
    const onHead = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (head.length > 8_192) return void downstream.destroy();
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) return;
      downstream.off("data", onHead);
      const match = /^CONNECT 127\.0\.0\.1:(\d+) HTTP\/1\.[01]\r\n/.exec(head);
      if (match === null || end + 4 !== head.length) return void downstream.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      const upstream = connect({ host: "127.0.0.1", port: Number(match[1]) }, () => {
        upstream.setNoDelay(true);
        downstream.write("HTTP/1.1 200 Connection established\r\n\r\n");
        downstream.pipe(upstream);
        upstream.pipe(downstream);
      });
      sockets.add(upstream);
      const cut = () => (downstream.destroy(), upstream.destroy());
      upstream.on("error", cut).on("close", cut);
      downstream.on("error", cut).on("close", cut);
    };
    downstream.on("data", onHead);
    downstream.on("close", () => sockets.delete(downstream));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
