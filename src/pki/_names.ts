/** Distinguished names, from their DER: print them (RFC 4514 order and escaping, ", " between RDNs), find the CN, compare. */
import { childrenOf, encodingOf, oidText, readTlv, stringOf, toHex, type Tlv } from "./_der.ts";

/** OID of the commonName attribute. */
export const OID_CN = "2.5.4.3";

const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "STREET",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "title",
  "2.5.4.42": "GN",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "emailAddress",
};

/** One attribute of a name: its OID and its value as text (undefined when the value is not a string type). */
export interface Attribute {
  readonly type: string;
  readonly text: string | undefined;
  readonly der: Uint8Array;
}

/** The RDNs of a DER Name in ASN.1 order, each a list of attributes (more than one for a multi-valued RDN). */
export function rdnsOf(name: Uint8Array): Attribute[][] {
  const sequence = readTlv(name, 0);
  return childrenOf(name, sequence).map((set) =>
    childrenOf(name, set).map((pair) => {
      const [type, value] = childrenOf(name, pair);
      if (type === undefined || value === undefined) throw new RangeError("Cannot read the name: an attribute lacks its type or value");
      return { type: oidText(name.subarray(type.contentStart, type.end)), text: textOf(name, value), der: encodingOf(name, value) };
    }),
  );
}

/** Prints a name most-specific first, as RFC 4514 does: `CN=client-1, O=Acme`. An empty name prints as "". */
export function formatName(name: Uint8Array): string {
  return rdnsOf(name)
    .reverse()
    .map((rdn) => rdn.map(formatAttribute).join("+"))
    .join(", ");
}

/** The first commonName of a name (in ASN.1 order, as OpenSSL finds it), or undefined. */
export function firstCn(name: Uint8Array): string | undefined {
  for (const rdn of rdnsOf(name)) for (const attribute of rdn) if (attribute.type === OID_CN) return attribute.text;
  return undefined;
}

function formatAttribute(attribute: Attribute): string {
  const key = SHORT_NAMES[attribute.type] ?? attribute.type;
  if (attribute.text === undefined) return `${key}=#${toHex(attribute.der)}`;
  const escaped = attribute.text
    .replace(/[\\"+,;<>=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ");
  return `${key}=${escaped}`;
}

function textOf(bytes: Uint8Array, value: Tlv): string | undefined {
  return stringOf(bytes, value);
}

/**
 * Whether two DER Names are the same name as pkijs judges it (RelativeDistinguishedNames.isEqual): the same
 * attributes in the same order, string values equal after trimming, collapsing spaces and lower-casing, other
 * values byte for byte. Only a candidate test: the issuer's signature decides.
 */
export function sameName(a: Uint8Array, b: Uint8Array): boolean {
  const left = rdnsOf(a).flat();
  const right = rdnsOf(b).flat();
  if (left.length !== right.length) return false;
  return left.every((x, i) => {
    const y = right[i]!;
    if (x.type !== y.type || (x.text === undefined) !== (y.text === undefined)) return false;
    if (x.text !== undefined) return stringPrep(x.text).localeCompare(stringPrep(y.text!)) === 0;
    return toHex(x.der) === toHex(y.der);
  });
}

/** pkijs's stringPrep: trimmed, runs of spaces as one, lower case. */
function stringPrep(text: string): string {
  return text.trim().replace(/ {2,}/g, " ").toLowerCase();
}
