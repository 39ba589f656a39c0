/** `rp-server policy check --cn edge-7 GET files//a.txt`: the verdict of the configured policy on one call, and the deciding rule. */
import type { CommonConfig } from "../config/index.ts";
import { POLICY_VERBS, verdictLine } from "../policy/index.ts";
import { policyHandlerName } from "../node/index.ts";
import { UsageError, type CommandLine } from "./args.ts";
import { compileNodePolicy } from "./policy-source.ts";
import { EXIT, say } from "./program.ts";

/** The flags `policy` takes. */
export const POLICY_COMMAND_FLAGS = { policy: { cn: "string" } } as const;

/** Usage line of the command. */
export const POLICY_USAGE = "policy check --cn CN VERB NOUN";

/** Prints `allow`/`deny`, the call and the deciding rule; exits 0 when allowed, 1 when denied. */
export async function policyCommand(config: CommonConfig, line: CommandLine): Promise<number> {
  const [sub, verb, noun, ...extra] = line.positionals;
  const cn = line.flags["cn"];
  if (sub !== "check" || verb === undefined || noun === undefined || extra.length > 0 || typeof cn !== "string" || cn === "") {
    throw new UsageError(`usage: ${POLICY_USAGE} (e.g. policy check --cn edge-7 GET files//a.txt)`);
  }
  if (!(POLICY_VERBS as readonly string[]).includes(verb.toUpperCase())) throw new UsageError(`unknown verb ${JSON.stringify(verb)}: use ${POLICY_VERBS.join(", ")}`);
  const policy = compileNodePolicy(config.policy);
  const verdict = policy.judge({ cn, verb, noun });
  say(`${verdict.action}: ${verb.toUpperCase()} ${noun} (handler ${policyHandlerName(verb, noun)}) from ${JSON.stringify(cn)}`);
  say(verdictLine(config.policy, verdict));
  return verdict.action === "allow" ? EXIT.ok : EXIT.failure;
}
