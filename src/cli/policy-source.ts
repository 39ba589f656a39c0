/**
 * The node's live policy: the configured one at start, loaded again (with
 * the config file read afresh) on SIGHUP and when the config file changes.
 * A reload whose configuration has any problem is refused and the current
 * policy kept, as a bad identity is.
 */
import { ConfigError, configFileLocation, loadClientConfig, loadServerConfig, type CommonConfig, type Role } from "../config/index.ts";
import type { Logger } from "../log/index.ts";
import { policyHandlerName } from "../node/index.ts";
import { compilePolicy, type CompiledPolicy, type Policy } from "../policy/index.ts";
import { fileStamp } from "../platform/index.ts";
import { readConfigFile } from "./config-file.ts";

/** The policy in force, and how to load it again. */
export interface PolicySource {
  readonly current: CompiledPolicy;
  /** Loads the configuration again; resolves true when the policy changed. */
  reload(trigger: string): Promise<boolean>;
  close(): void;
}

/** Compiles a policy with the dispatcher's handler naming. */
export function compileNodePolicy(policy: Policy): CompiledPolicy {
  return compilePolicy(policy, policyHandlerName);
}

/** Starts from `config.policy`; polls the config file every `config.identityPollMs` (0: only on reload()). */
export function openPolicySource(role: Role, config: CommonConfig, flags: Readonly<Record<string, string | boolean | readonly string[]>>, log: Logger): PolicySource {
  let current = compileNodePolicy(config.policy);
  let shown = JSON.stringify(config.policy);
  const location = configFileLocation(role, process.env);
  const load = role === "server" ? loadServerConfig : loadClientConfig;
  let queue: Promise<unknown> = Promise.resolve();
  let stamp: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const describe = (policy: Policy) => ({ rules: policy.rules.length, default: policy.default });
  if (config.policy.rules.length > 0 || config.policy.default === "deny") log.info("policy loaded", describe(config.policy));

  const attempt = async (trigger: string): Promise<boolean> => {
    if (location) stamp = await fileStamp(location.path).catch(() => "unreadable");
    const read = await readConfigFile(role, process.env);
    let next: Policy;
    try {
      if (read.problems.length > 0) throw new ConfigError(read.problems);
      next = load({ env: process.env, flags, file: read.file }).policy;
    } catch (error) {
      const reason = error instanceof ConfigError ? error.problems.join("; ") : (error as Error).message;
      log.error("policy reload failed: keeping the current policy", { trigger, reason });
      return false;
    }
    if (JSON.stringify(next) === shown) return false;
    shown = JSON.stringify(next);
    current = compileNodePolicy(next);
    log.info("policy reloaded", { trigger, ...describe(next) });
    return true;
  };
  const reload = (trigger: string): Promise<boolean> => {
    const run = queue.then(() => attempt(trigger));
    queue = run.catch(() => undefined);
    return run;
  };
  const poll = async () => {
    if (closed || !location) return;
    const now = await fileStamp(location.path).catch(() => "unreadable");
    // The first look loads the file again too (quietly when nothing changed): a change since start-up read it is not missed.
    if (now !== stamp) await reload("file change");
    if (!closed) timer = setTimeout(() => void poll(), config.identityPollMs);
  };
  if (location && config.identityPollMs > 0) void poll();
  return {
    get current() {
      return current;
    },
    reload,
    close() {
      closed = true;
      clearTimeout(timer);
    },
  };
}
