/** Refusing a peer right after its TLS handshake, with the reason told to it first. */
import type { Transport } from "../pipe/index.ts";
import { encodeFrame, encodeMessage, FrameType, WIRE_VERSION } from "../wire/index.ts";

/**
 * Ends a connection refused after its handshake, telling the peer why first: one GoAway with the reason. A peer of
 * this implementation reports it as why the pipe ended (a client: why it cannot connect); a v1 peer, refused either
 * way, sees a frame it does not know. The transport must not have been started.
 */
export function sayWhyAndClose(transport: Transport, reason: string): void {
  transport.start({ data: () => {}, drain: () => {}, closed: () => {} });
  const goAway = { type: FrameType.GoAway, message: { version: WIRE_VERSION, retryAfterMs: 0, reason } } as const;
  transport.write(encodeFrame(FrameType.GoAway, 0, encodeMessage(goAway)));
  transport.close();
}
