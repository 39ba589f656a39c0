/** IP addresses as X.509 iPAddress bytes: parse the text form, print the byte form. */

/** Parses an IPv4 (dotted) or IPv6 (with `::` and an optional embedded IPv4 tail) address; undefined if it is neither. */
export function parseIp(text: string): Uint8Array | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

/** Prints 4 bytes as dotted IPv4, 16 bytes as compressed IPv6 (RFC 5952), anything else as hex. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  // The longest run (of at least two) of zero groups becomes "::"; the first such run wins a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return undefined;
  return Uint8Array.from(parts, Number);
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const words: number[] = [];
  const last = (halves.length === 2 ? tail : head).at(-1);
  const v4 = last?.includes(".") ? parseIpv4(last) : undefined;
  if (last?.includes(".") && !v4) return undefined;
  if (v4) (halves.length === 2 ? tail : head).pop();
  const toWords = (groups: string[]) => groups.map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  const headWords = toWords(head);
  const tailWords = [...toWords(tail), ...(v4 ? [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!] : [])];
  const missing = 8 - headWords.length - tailWords.length;
  if ([...headWords, ...tailWords].some(Number.isNaN)) return undefined;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  words.push(...headWords, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tailWords);
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}
