/** A Logger that keeps its records, for tests that assert what was logged (and what was not). */
import type { LogFields, Logger, LogLevel } from "../../src/log/index.ts";

/** One kept record: level, message and every field (including those added with `with`). */
export interface LogEntry {
  readonly level: LogLevel;
  readonly msg: string;
  readonly fields: LogFields;
}

/** A recording logger and its records. */
export function recordingLogger(): { log: Logger; records: LogEntry[] } {
  const records: LogEntry[] = [];
  const make = (base: LogFields): Logger => {
    const emit = (level: LogLevel) => (msg: string, fields?: LogFields) => void records.push({ level, msg, fields: { ...base, ...fields } });
    return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error"), with: (more) => make({ ...base, ...more }) };
  };
  return { log: make({}), records };
}
