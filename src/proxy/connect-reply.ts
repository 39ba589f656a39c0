/**
 * Reading the proxy's answer to CONNECT: a status line and headers up to the
 * blank line, nothing more. The proxy is not trusted: the answer is bounded
 * in bytes, and anything that is not HTTP/1.x is refused by name.
 */
import { ProxyError } from "./errors.ts";

/** Largest answer to CONNECT (status line and headers) read before giving up. */
export const MAX_CONNECT_REPLY_BYTES = 16 * 1024;

/** The proxy's answer. */
export interface ConnectReply {
  readonly status: number;
  /** The reason phrase, cut to 200 characters and stripped of control characters. */
  readonly reason: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
}

const END = [13, 10, 13, 10];

/** Collects the answer chunk by chunk; `push` returns it once complete, with the bytes that followed it. */
export class ConnectReplyReader {
  #buffer = new Uint8Array(0);

  /** Adds a chunk; undefined while the blank line has not arrived. Throws ProxyError on an oversized or malformed answer. */
  push(chunk: Uint8Array): { reply: ConnectReply; rest: Uint8Array } | undefined {
    const scanFrom = Math.max(0, this.#buffer.length - 3);
    const joined = new Uint8Array(this.#buffer.length + chunk.length);
    joined.set(this.#buffer);
    joined.set(chunk, this.#buffer.length);
    this.#buffer = joined;
    const end = indexOfEnd(joined, scanFrom);
    if (end === -1) {
      if (joined.length > MAX_CONNECT_REPLY_BYTES) throw new ProxyError(`the proxy's answer to CONNECT exceeds ${MAX_CONNECT_REPLY_BYTES} bytes without ending: not an HTTP proxy?`);
      if (joined.length >= 5 && !startsLikeHttp(joined)) throw new ProxyError(`the proxy answered CONNECT with something that is not HTTP (${preview(joined)}): not an HTTP proxy?`);
      return undefined;
    }
    if (end > MAX_CONNECT_REPLY_BYTES) throw new ProxyError(`the proxy's answer to CONNECT exceeds ${MAX_CONNECT_REPLY_BYTES} bytes: not an HTTP proxy?`);
    return { reply: parseReply(joined.subarray(0, end)), rest: joined.slice(end + END.length) };
  }
}

function indexOfEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

function startsLikeHttp(bytes: Uint8Array): boolean {
  return new TextDecoder("latin1").decode(bytes.subarray(0, 5)) === "HTTP/";
}

/** Printable, short: a hostile proxy must not write into our log. */
function clean(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return printable.length > max ? `${printable.slice(0, max)}...` : printable;
}

function preview(bytes: Uint8Array): string {
  return JSON.stringify(clean(new TextDecoder("latin1").decode(bytes.subarray(0, 40)), 40));
}

function parseReply(head: Uint8Array): ConnectReply {
  const lines = new TextDecoder("latin1").decode(head).split("\r\n");
  const statusLine = lines[0] ?? "";
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (match === null) throw new ProxyError(`the proxy answered CONNECT with a malformed status line ${JSON.stringify(clean(statusLine, 80))}: not an HTTP proxy?`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) throw new ProxyError(`the proxy answered CONNECT with a malformed header line ${JSON.stringify(clean(line, 80))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = clean(line.slice(colon + 1).trim(), 200);
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return { status: Number(match[1]), reason: clean(match[2] ?? "", 200), headers };
}
