/**
 * The caller tag (`X-RestPipe-Caller`): a label the local app gives a
 * request so that the audit log says who asked. It is refused, never
 * trimmed, when too long or holding anything but printable ASCII.
 */

/** Request header naming the local caller. */
export const CALLER_HEADER = "x-restpipe-caller";
/** Response header naming the peer (CN) that answered; one sent by a local caller is never trusted or passed on. */
export const PEER_HEADER = "x-restpipe-peer";
/** Longest caller tag accepted. */
export const MAX_CALLER_LENGTH = 256;

/** Why a caller tag is refused, or undefined when it is fine. */
export function callerProblem(tag: string): string | undefined {
  if (tag.length > MAX_CALLER_LENGTH) {
    return `Cannot accept X-RestPipe-Caller: ${tag.length} characters exceed the limit of ${MAX_CALLER_LENGTH}; send a shorter tag`;
  }
  for (let i = 0; i < tag.length; i++) {
    const c = tag.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      return `Cannot accept X-RestPipe-Caller: character ${i + 1} is not printable ASCII (code ${c}); send printable ASCII only`;
    }
  }
  return undefined;
}
