/** Which of a node's certificates (its own, its CA's) expire soon or have expired. */
import type { CertificateInfo } from "../pki/index.ts";

/** One certificate worth a warning. */
export interface ExpiryWarning {
  readonly certificate: "own" | "CA";
  readonly subject: string;
  readonly notAfter: Date;
  /** Whole days left, rounded down; negative once expired. */
  readonly daysLeft: number;
  readonly expired: boolean;
}

const DAY_MS = 86_400_000;

/** The certificates among `own` and `ca` that expire within `warnDays` days of `now` (or already have). */
export function expiryWarnings(own: CertificateInfo, ca: readonly CertificateInfo[], warnDays: number, now: Date): ExpiryWarning[] {
  const all = [{ which: "own" as const, info: own }, ...ca.map((info) => ({ which: "CA" as const, info }))];
  return all.flatMap(({ which, info }) => {
    const leftMs = info.notAfter.getTime() - now.getTime();
    if (leftMs > warnDays * DAY_MS) return [];
    return [{ certificate: which, subject: info.subject, notAfter: info.notAfter, daysLeft: Math.floor(leftMs / DAY_MS), expired: leftMs < 0 }];
  });
}
