/**
 * A fire-and-forget UDP sender (node:dgram, which Bun and Deno both
 * provide), for statsd. Send errors are dropped: metrics must never take a
 * node down, and statsd over UDP is lossy by design.
 */
import { createSocket, type Socket } from "node:dgram";
import { isIP } from "node:net";

/** Sends datagrams to one host and port. */
export interface UdpSender {
  send(packet: Uint8Array): void;
  close(): void;
}

/** Opens a UDP socket for `host:port` (IPv6 when the host is an IPv6 literal). The host name is resolved per send by the runtime. */
export function openUdpSender(host: string, port: number): UdpSender {
  const socket: Socket = createSocket(isIP(host) === 6 ? "udp6" : "udp4");
  socket.on("error", () => {}); // lossy by design; see the module comment
  socket.unref();
  let closed = false;
  let pending = 0; // sends not yet handed to the kernel: closing before them would drop them (and throw inside dgram)
  const finish = () => {
    pending--;
    if (closed && pending === 0) socket.close();
  };
  return {
    send(packet) {
      if (closed) return;
      pending++;
      try {
        socket.send(packet, port, host, finish);
      } catch {
        finish();
      }
    },
    close() {
      if (closed) return;
      closed = true;
      if (pending === 0) socket.close();
    },
  };
}
