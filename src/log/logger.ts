/** The logging contract: one structured record per event. Only this module and cli/ write to the console. */

/** Severity, in increasing order. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Fields attached to a log record. Values must not contain key material or request bodies. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined | null>>;

/** Where components write what happened. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every record. */
  with(fields: LogFields): Logger;
}

/** A logger that drops everything (the default for library code). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  with() {
    return silentLogger;
  },
};
