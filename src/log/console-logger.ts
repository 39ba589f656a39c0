/**
 * The process logger: one line per record, JSON when the output is not a
 * terminal (for collectors), readable text on a terminal. DEBUG=1 lowers the
 * level to debug.
 */
import type { LogFields, Logger, LogLevel } from "./logger.ts";
import { printable, printableJson } from "./printable.ts";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Options of the console logger. */
export interface ConsoleLoggerOptions {
  readonly level: LogLevel;
  readonly format: "json" | "text";
  /** Where lines go (default: standard error). */
  readonly write?: (line: string) => void;
  /** Clock for timestamps (default: Date.now). */
  readonly now?: () => number;
}

/** Creates the process logger. */
export function createConsoleLogger(options: ConsoleLoggerOptions, fields: LogFields = {}): Logger {
  const write = options.write ?? ((line: string) => console.error(line));
  const now = options.now ?? Date.now;
  const threshold = RANK[options.level];
  const emit = (level: LogLevel, message: string, extra?: LogFields) => {
    if (RANK[level] < threshold) return;
    const record = { ...fields, ...extra };
    const time = new Date(now()).toISOString();
    write(options.format === "json" ? jsonLine(time, level, message, record) : textLine(time, level, message, record));
  };
  return {
    debug: (message, extra) => emit("debug", message, extra),
    info: (message, extra) => emit("info", message, extra),
    warn: (message, extra) => emit("warn", message, extra),
    error: (message, extra) => emit("error", message, extra),
    with: (more) => createConsoleLogger(options, { ...fields, ...more }),
  };
}

function jsonLine(time: string, level: LogLevel, msg: string, fields: LogFields): string {
  const record: Record<string, unknown> = { time, level, msg };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) record[key] = value;
  return printableJson(JSON.stringify(record));
}

function textLine(time: string, level: LogLevel, msg: string, fields: LogFields): string {
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${printable(key)}=${typeof value === "string" && /[\s"=]/.test(value) ? printableJson(JSON.stringify(value)) : printable(String(value))}`);
  // Values come from peers (a CN, a reason): nothing in them may act on the terminal.
  return `${time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${printable(msg)}${parts.length ? `  ${parts.join(" ")}` : ""}`;
}
