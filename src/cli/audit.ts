/** The node's audit log as the CLI opens it: RP_X_AUDIT_LOG names a file (or - for standard error). */
import { AuditLog } from "../audit/index.ts";
import type { CommonConfig, Role } from "../config/index.ts";
import type { Logger } from "../log/index.ts";
import { openAppendFile, stderrTarget } from "../platform/index.ts";

/** Opens the configured audit log, or resolves undefined when none is; a file that cannot be opened stops the start. */
export async function openAuditLog(config: CommonConfig, role: Role, log: Logger): Promise<AuditLog | undefined> {
  if (config.auditLog === undefined) return undefined;
  const variable = `RP_${role.toUpperCase()}_AUDIT_LOG`;
  let sink;
  try {
    sink = config.auditLog === "-" ? stderrTarget() : await openAppendFile(config.auditLog);
  } catch (error) {
    throw new Error(`Cannot start: cannot open the audit log ${config.auditLog}: ${(error as Error).message}; set ${variable} to a writable file (or - for standard error)`, {
      cause: error,
    });
  }
  log.info("audit log open", { file: sink.name, args: config.auditArgs ? "shown" : "redacted" });
  return new AuditLog({
    sink,
    log,
    maxQueueBytes: config.auditQueueBytes,
    showArgs: config.auditArgs,
    queueSetting: `RP_${role.toUpperCase()}_AUDIT_QUEUE_BYTES`,
  });
}
