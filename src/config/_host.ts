/** Shape checks for IP literals and host names. No DNS: a name is only checked for syntax. */

/** The four octets of a dotted-quad IPv4 literal, or undefined when `text` is not one (leading zeros are refused: some resolvers read them as octal). */
export function parseIpv4(text: string): readonly number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^(0|[1-9]\d{0,2})$/.test(part))) return undefined;
  const octets = parts.map(Number);
  return octets.every((octet) => octet <= 255) ? octets : undefined;
}

/** The eight 16-bit groups of an IPv6 literal (no brackets, no zone), or undefined when `text` is not one. */
export function parseIpv6(text: string): readonly number[] | undefined {
  const gap = text.indexOf("::");
  if (gap === -1) {
    const groups = ipv6Groups(text, true);
    return groups?.length === 8 ? groups : undefined;
  }
  if (text.indexOf("::", gap + 1) !== -1) return undefined;
  const head = ipv6Groups(text.slice(0, gap), false);
  const tail = ipv6Groups(text.slice(gap + 2), true);
  if (head === undefined || tail === undefined || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function ipv6Groups(text: string, ipv4Last: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (const [index, part] of parts.entries()) {
    if (ipv4Last && index === parts.length - 1 && part.includes(".")) {
      const octets = parseIpv4(part);
      if (octets === undefined) return undefined;
      groups.push((octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(Number.parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** True for an RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens; the last label not all digits. */
export function isHostname(text: string): boolean {
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  if (!labels.every((label) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(label))) return false;
  return !/^\d+$/.test(labels[labels.length - 1]!);
}

/** True for an IPv4 literal, an IPv6 literal (without brackets) or a host name. */
export function isHost(text: string): boolean {
  return parseIpv4(text) !== undefined || parseIpv6(text) !== undefined || isHostname(text);
}

/** True when `host` always means this machine: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104, or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  if (/^localhost\.?$/i.test(host)) return true;
  const v4 = parseIpv4(host);
  if (v4 !== undefined) return v4[0] === 127;
  const v6 = parseIpv6(host);
  if (v6 === undefined) return false;
  const zeros = (count: number) => v6.slice(0, count).every((group) => group === 0);
  if (zeros(7) && v6[7] === 1) return true;
  return zeros(5) && v6[5] === 0xffff && v6[6]! >> 8 === 127;
}
