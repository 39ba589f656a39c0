/** What /proc says about a process: CPU time used and resident memory (Linux only). */
import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux this project targets

/** The user and system CPU seconds of a /proc/PID/stat or /proc/PID/task/TID/stat text. */
export function statCpu(stat: string): { user: number; system: number } {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / TICKS_PER_SECOND, system: Number(fields[12]) / TICKS_PER_SECOND };
}

/** User + system CPU seconds `pid` has used so far (0 when it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const { user, system } = statCpu(readFileSync(`/proc/${pid}/stat`, "utf8"));
    return user + system;
  } catch {
    return 0;
  }
}

/** Resident set size of `pid` in KiB (VmRSS; 0 when it is gone). */
export function rssKiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident memory of `pid` in KiB, split as /proc/PID/status splits it: anonymous (heaps) and file-backed (the binary's own pages, whose count also depends on the page cache's read-ahead). Zeros when it is gone. */
export function residentKiB(pid: number): { rss: number; anon: number; file: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status)?.[1] ?? 0);
    return { rss: field("VmRSS"), anon: field("RssAnon"), file: field("RssFile") + field("RssShmem") };
  } catch {
    return { rss: 0, anon: 0, file: 0 };
  }
}
