/** The words of a verdict: the refusal a caller reads, and the line `policy check` prints. */
import type { PolicyCall, Verdict } from "./evaluate.ts";
import type { Policy } from "./rules.ts";

/** `Cannot call get_secrets: denied by policy rule 3 for "edge-7"` (or `by the policy's default`). */
export function denialMessage(call: PolicyCall, handler: string, verdict: Verdict): string {
  const what = handler === "" ? `${call.verb.toUpperCase()} ${call.noun}` : handler;
  const by = verdict.rule === 0 ? "the policy's default (deny)" : `policy rule ${verdict.rule}`;
  return `Cannot call ${what}: denied by ${by} for ${JSON.stringify(call.cn)}`;
}

/** `allow by rule 2: {cn = "edge-*", verbs = GET, noun = "files//*"}` or `deny by the default (no rule matches)`. */
export function verdictLine(policy: Policy, verdict: Verdict): string {
  if (verdict.rule === 0) return `${verdict.action} by the default (no rule matches)`;
  const rule = policy.rules[verdict.rule - 1]!;
  const parts = [`cn = ${JSON.stringify(rule.cn)}`, `verbs = ${rule.verbs.length === 0 ? "*" : rule.verbs.join(",")}`];
  if (rule.noun !== undefined) parts.push(`noun = ${JSON.stringify(rule.noun)}`);
  if (rule.handler !== undefined) parts.push(`handler = ${JSON.stringify(rule.handler)}`);
  return `${verdict.action} by rule ${verdict.rule}: {${parts.join(", ")}, action = ${rule.action}}`;
}
