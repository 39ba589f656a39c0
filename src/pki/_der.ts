/**
 * A small DER reader for the certificate fields a serving node needs (names, SANs, extensions, key and signature
 * algorithm), so that parsing a peer's certificate loads neither asn1js nor pkijs (~13 MiB of RSS per process).
 * It reads bytes the runtime's X509Certificate has already accepted, but checks every length against its bounds
 * anyway: the peer's certificate is attacker-controlled.
 */

/** One DER element: its tag and where its content lies in the bytes it was read from. */
export interface Tlv {
  /** 0 universal, 1 application, 2 context-specific, 3 private (asn1js numbering: one more than the ASN.1 class bits). */
  readonly tagClass: number;
  readonly constructed: boolean;
  readonly tagNumber: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset just past the content. */
  readonly end: number;
}

/** Universal tag numbers read here. */
export const TAG = {
  boolean: 1,
  integer: 2,
  bitString: 3,
  octetString: 4,
  oid: 6,
  utf8String: 12,
  sequence: 16,
  set: 17,
  utcTime: 23,
  generalizedTime: 24,
  universalString: 28,
  bmpString: 30,
} as const;

/** Thrown for bytes that are not DER; the message is the reason after "not DER (...)". */
export class DerError extends Error {
  override readonly name = "DerError";
}

/** Reads the element at `offset`; throws DerError when its header or length does not fit in `bytes`. */
export function readTlv(bytes: Uint8Array, offset: number, limit: number = bytes.length): Tlv {
  if (limit - offset <= 0) throw new DerError(offset === 0 ? "Input buffer has zero length" : "no element where one is due");
  const first = bytes[offset]!;
  // Universal tag 0 ends indefinite-length content, which DER does not have (asn1js stops there too).
  if ((first & 0xdf) === 0) throw new DerError("end-of-contents octets in DER");
  let at = offset + 1;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let more = true; more; at++) {
      if (at >= limit || tagNumber > 0x00ff_ffff) throw new DerError("bad tag");
      more = (bytes[at]! & 0x80) !== 0;
      tagNumber = tagNumber * 128 + (bytes[at]! & 0x7f);
    }
  }
  if (at >= limit) throw new DerError(PAST_END);
  const lengthByte = bytes[at++]!;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) throw new DerError(count === 0 ? "indefinite length" : "length too long");
    if (at + count > limit) throw new DerError(PAST_END);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[at++]!;
  }
  if (at + length > limit) throw new DerError(PAST_END);
  return { tagClass: (first >> 6) + 1, constructed: (first & 0x20) !== 0, tagNumber, start: offset, contentStart: at, end: at + length };
}

/** The asn1js wording of a length that runs past the end, kept so that refusals read as before. */
const PAST_END = "End of input reached before message was fully decoded (inconsistent offset and length values)";

/** The elements inside a constructed element, in order. */
export function childrenOf(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const items: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const item = readTlv(bytes, at, parent.end);
    items.push(item);
    at = item.end;
  }
  return items;
}

/** Whether `tlv` is the universal type `tagNumber`. */
export function isUniversal(tlv: Tlv | undefined, tagNumber: number): tlv is Tlv {
  return tlv !== undefined && tlv.tagClass === 1 && tlv.tagNumber === tagNumber;
}

/** The content bytes of an element (a view, not a copy). */
export function contentOf(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.contentStart, tlv.end);
}

/** The whole encoding of an element, header included (a view). */
export function encodingOf(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.start, tlv.end);
}

/** An OBJECT IDENTIFIER's content as dotted text ("2.5.4.3"), as asn1js prints it; DerError when a sub-identifier is unterminated. */
export function oidText(content: Uint8Array): string {
  if (content.length === 0 || content[content.length - 1]! & 0x80) throw new DerError("bad OBJECT IDENTIFIER");
  const arcs: string[] = [];
  let value = 0n;
  let first = true;
  for (const byte of content) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if (byte & 0x80) continue;
    if (first) {
      const head = value < 40n ? 0n : value < 80n ? 1n : 2n;
      arcs.push(String(head), String(value - head * 40n));
      first = false;
    } else {
      arcs.push(String(value));
    }
    value = 0n;
  }
  return arcs.join(".");
}

/** A UTCTime or GeneralizedTime as a Date (seconds, optional fraction, "Z"); undefined for any other form. */
export function timeOf(bytes: Uint8Array, tlv: Tlv): Date | undefined {
  const text = String.fromCharCode(...contentOf(bytes, tlv));
  const utc = tlv.tagNumber === TAG.utcTime;
  const match = (utc ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3}))?Z$/).exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction] = match;
  const year = utc ? (Number(y) < 50 ? 2000 : 1900) + Number(y) : Number(y);
  const ms = fraction === undefined ? 0 : Number(fraction.padEnd(3, "0"));
  return new Date(Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms));
}

/**
 * A string-typed attribute value as text, decoded as asn1js decodes it (UTF8String strictly, else byte by byte;
 * BMPString as UTF-16BE; UniversalString as UTF-32BE with U+FFFD for what is no code point; the other string
 * types byte by byte); undefined when the element is not a string type.
 */
export function stringOf(bytes: Uint8Array, tlv: Tlv): string | undefined {
  if (tlv.tagClass !== 1 || tlv.constructed || !STRING_TAGS.has(tlv.tagNumber)) return undefined;
  const content = contentOf(bytes, tlv);
  if (tlv.tagNumber === TAG.utcTime || tlv.tagNumber === TAG.generalizedTime) return ""; // asn1js keeps no text for them
  if (tlv.tagNumber === TAG.utf8String || UTF8_TAGS.has(tlv.tagNumber)) {
    try {
      return STRICT_UTF8.decode(content);
    } catch {
      return latin1(content);
    }
  }
  if (tlv.tagNumber === TAG.bmpString) return utf16be(content);
  if (tlv.tagNumber === TAG.universalString) return utf32be(content);
  return latin1(content);
}

/**
 * The types asn1js reads as text: Utf8String, NumericString, PrintableString, TeletexString, VideotexString,
 * IA5String, UTCTime, GeneralizedTime, GraphicString, VisibleString, GeneralString, UniversalString,
 * CharacterString, BMPString, and TIME, DATE, TIME-OF-DAY, DATE-TIME, DURATION (decoded as UTF-8, as asn1js does).
 */
const STRING_TAGS: ReadonlySet<number> = new Set([12, 14, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34]);
const UTF8_TAGS: ReadonlySet<number> = new Set([14, 31, 32, 33, 34]);

/** Deepest nesting checkNested follows (DER from a peer: bounded work whatever it holds). */
const MAX_DEPTH = 32;

/** Throws DerError unless every constructed element inside `tlv` decodes, down to MAX_DEPTH (as asn1js decodes them). */
export function checkNested(bytes: Uint8Array, tlv: Tlv, depth = 0): void {
  if (!tlv.constructed) return;
  if (depth >= MAX_DEPTH) throw new DerError("nested too deep");
  for (const child of childrenOf(bytes, tlv)) checkNested(bytes, child, depth + 1);
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Bytes as char codes 0–255 (asn1js's "binary" string); in slices, so that no argument list grows with the input. */
export function latin1(content: Uint8Array): string {
  let text = "";
  for (let i = 0; i < content.length; i += 4096) text += String.fromCharCode(...content.subarray(i, i + 4096));
  return text;
}

function utf16be(content: Uint8Array): string {
  let text = "";
  for (let i = 0; i + 1 < content.length; i += 2) text += String.fromCharCode((content[i]! << 8) | content[i + 1]!);
  return text;
}

function utf32be(content: Uint8Array): string {
  const points: number[] = [];
  const count = content.length >> 2;
  const at = (i: number) => ((content[4 * i]! << 24) | (content[4 * i + 1]! << 16) | (content[4 * i + 2]! << 8) | content[4 * i + 3]!) >>> 0;
  for (let i = 0; i < count; i++) {
    const point = at(i);
    if (point > 0x10ffff) points.push(0xfffd);
    else if (point >= 0xd800 && point <= 0xdfff) {
      const next = i + 1 < count ? at(i + 1) : 0;
      if (point <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        points.push(0x10000 + ((point - 0xd800) << 10) + (next - 0xdc00));
        i++;
      } else points.push(0xfffd);
    } else points.push(point);
  }
  let text = "";
  for (let i = 0; i < points.length; i += 4096) text += String.fromCodePoint(...points.slice(i, i + 4096));
  return text;
}

/** Lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += (byte < 16 ? "0" : "") + byte.toString(16);
  return hex;
}
