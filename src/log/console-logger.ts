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
  return new ConsoleLogger({ write, now: options.now ?? Date.now, threshold: RANK[options.level], json: options.format === "json" }, fields);
}

/** What the loggers derived from one another share. */
interface Settings {
  readonly write: (line: string) => void;
  readonly now: () => number;
  readonly threshold: number;
  readonly json: boolean;
}

/**
 * A logger with its fields. A class, not an object of closures: every pipe has one or two for its whole life
 * (`with({ peer })`), and a server with 50,000 clients had 700,000 logger closures.
 */
class ConsoleLogger implements Logger {
  constructor(
    readonly settings: Settings,
    readonly fields: LogFields,
  ) {}

  debug(message: string, extra?: LogFields): void {
    this.#emit("debug", message, extra);
  }

  info(message: string, extra?: LogFields): void {
    this.#emit("info", message, extra);
  }

  warn(message: string, extra?: LogFields): void {
    this.#emit("warn", message, extra);
  }

  error(message: string, extra?: LogFields): void {
    this.#emit("error", message, extra);
  }

  with(more: LogFields): Logger {
    return new ConsoleLogger(this.settings, { ...this.fields, ...more });
  }

  #emit(level: LogLevel, message: string, extra?: LogFields): void {
    const settings = this.settings;
    if (RANK[level] < settings.threshold) return;
    const record = { ...this.fields, ...extra };
    const time = new Date(settings.now()).toISOString();
    settings.write(settings.json ? jsonLine(time, level, message, record) : textLine(time, level, message, record));
  }
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
