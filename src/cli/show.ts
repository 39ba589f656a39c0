/** Certificates, identities and CA records as the CLI prints them. */
import { formatLabels } from "../labels/index.ts";
import type { CertificateInfo, IssuedRecord } from "../pki/index.ts";

const DAY_MS = 86_400_000;

/** The lines describing one certificate, indented by `indent`: subject, SANs, issuer, validity, serial, key, fingerprint. */
export function certificateLines(certificate: CertificateInfo, indent = "  ", now: Date = new Date()): string[] {
  const sans = [...certificate.dnsNames.map((name) => `DNS:${name}`), ...certificate.ipAddresses.map((ip) => `IP:${ip}`)];
  const rows: Array<[string, string]> = [
    ["CN", certificate.subjectCn ?? "(none)"],
    ["subject", certificate.subject || "(empty)"],
    ["SANs", sans.join(", ") || "(none)"],
    ...(Object.keys(certificate.labels).length > 0 ? [["labels", formatLabels(certificate.labels)] as [string, string]] : []),
    ["issuer", certificate.issuer],
    ["not before", certificate.notBefore.toISOString()],
    ["not after", `${certificate.notAfter.toISOString()} (${timeLeft(certificate.notAfter, now)})`],
    ["serial", certificate.serialHex],
    ["key", certificate.keyAlgorithm],
    ["SHA-256", certificate.fingerprintSha256],
  ];
  return rows.map(([name, value]) => `${indent}${name.padEnd(11)}${value}`);
}

/** "825 days left", "expires today", "expired 3 days ago". */
export function timeLeft(notAfter: Date, now: Date): string {
  const leftMs = notAfter.getTime() - now.getTime();
  const days = Math.floor(Math.abs(leftMs) / DAY_MS);
  if (leftMs < 0) return days === 0 ? "expired today" : `expired ${days} day${days === 1 ? "" : "s"} ago`;
  return days === 0 ? "expires today" : `${days} day${days === 1 ? "" : "s"} left`;
}

/** The `ca list` table: one row per issued certificate. */
export function recordTable(records: readonly IssuedRecord[], now: Date = new Date()): string[] {
  const rows = records.map((record) => [
    record.cn,
    record.kind,
    record.serial,
    record.notAfter.slice(0, 10),
    record.revokedAt !== undefined ? `revoked ${record.revokedAt.slice(0, 10)}` : Date.parse(record.notAfter) < now.getTime() ? "expired" : "valid",
    formatLabels(record.labels ?? {}),
  ]);
  // The LABELS column only when some certificate has labels: the table stays as it was for those who use none.
  const labelled = rows.some((row) => row[5] !== "");
  if (!labelled) for (const row of rows) row.pop();
  const header = ["CN", "KIND", "SERIAL", "NOT AFTER", "STATUS", ...(labelled ? ["LABELS"] : [])];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const format = (row: readonly string[]) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
  return [format(header), ...rows.map(format)];
}
