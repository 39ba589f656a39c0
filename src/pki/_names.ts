/** Distinguished names: print them (RFC 4514 order and escaping, ", " between RDNs) and find the CN. */
import * as asn1js from "asn1js";
import type { RelativeDistinguishedNames } from "pkijs";

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
interface Attribute {
  readonly type: string;
  readonly text: string | undefined;
  readonly der: Uint8Array;
}

/** The RDNs of a name in ASN.1 order, each a list of attributes (more than one for a multi-valued RDN). */
function rdnsOf(name: RelativeDistinguishedNames): Attribute[][] {
  const sequence = name.toSchema();
  return sequence.valueBlock.value.map((set) =>
    (set as asn1js.Set).valueBlock.value.map((pair) => {
      const [type, value] = (pair as asn1js.Sequence).valueBlock.value as [asn1js.ObjectIdentifier, asn1js.AsnType];
      return { type: type.valueBlock.toString(), text: textOf(value), der: new Uint8Array(value.toBER()) };
    }),
  );
}

/** Prints a name most-specific first, as RFC 4514 does: `CN=client-1, O=Acme`. An empty name prints as "". */
export function formatName(name: RelativeDistinguishedNames): string {
  return rdnsOf(name)
    .reverse()
    .map((rdn) => rdn.map(formatAttribute).join("+"))
    .join(", ");
}

/** The first commonName of a name (in ASN.1 order, as OpenSSL finds it), or undefined. */
export function firstCn(name: RelativeDistinguishedNames): string | undefined {
  for (const rdn of rdnsOf(name)) for (const attribute of rdn) if (attribute.type === OID_CN) return attribute.text;
  return undefined;
}

function formatAttribute(attribute: Attribute): string {
  const key = SHORT_NAMES[attribute.type] ?? attribute.type;
  if (attribute.text === undefined) return `${key}=#${hex(attribute.der)}`;
  const escaped = attribute.text
    .replace(/[\\"+,;<>=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, "\\ ");
  return `${key}=${escaped}`;
}

function textOf(value: asn1js.AsnType): string | undefined {
  const block = (value as { valueBlock?: { value?: unknown } }).valueBlock;
  return typeof block?.value === "string" ? block.value : undefined;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
