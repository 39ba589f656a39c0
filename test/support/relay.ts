/**
 * A TCP relay on 127.0.0.1 between a client and a server, that can go
 * silent: while frozen it forwards nothing in either direction and sends no
 * FIN or RST (a half-open path, like a dead NAT entry). New connections
 * during a freeze are accepted and black-holed too.
 */
import type { Socket, TCPSocketListener } from "bun";

interface Side {
  peer?: Socket<Side>;
  pending: Uint8Array[];
}

/** A relay from an ephemeral loopback port to `targetPort`. */
export class Relay {
  readonly #listener: TCPSocketListener<Side>;
  readonly #sockets = new Set<Socket<Side>>();
  #frozen = false;

  constructor(targetPort: number) {
    const sockets = this.#sockets;
    const forward = (socket: Socket<Side>, data: Uint8Array) => {
      if (this.#frozen) return;
      if (socket.data.peer) socket.data.peer.write(data);
      else socket.data.pending.push(data);
    };
    const close = (socket: Socket<Side>) => {
      sockets.delete(socket);
      if (!this.#frozen) socket.data.peer?.end();
    };
    this.#listener = Bun.listen<Side>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(client) {
          client.data = { pending: [] };
          sockets.add(client);
          void Bun.connect<Side>({
            hostname: "127.0.0.1",
            port: targetPort,
            data: { peer: client, pending: [] },
            socket: {
              open(upstream) {
                sockets.add(upstream);
                client.data.peer = upstream;
                for (const chunk of client.data.pending) upstream.write(chunk);
                client.data.pending = [];
              },
              data: forward,
              close,
              error: close,
              connectError: () => void client.end(),
            },
          });
        },
        data: forward,
        close,
        error: close,
      },
    });
  }

  /** The port clients should dial. */
  get port(): number {
    return this.#listener.port;
  }

  /** Stops forwarding in both directions, silently. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Forwards again (new connections work; bytes dropped during the freeze are gone). */
  thaw(): void {
    this.#frozen = false;
  }

  /** Closes the listener and every relayed connection. */
  stop(): void {
    this.#listener.stop(true);
    for (const socket of this.#sockets) socket.terminate();
  }
}
