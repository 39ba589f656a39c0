/**
 * Judging one call against a policy. Deny wins: a call that any deny rule
 * matches is refused whatever allow rules say, wherever they stand; a call
 * no rule matches gets the default. Verdicts are remembered per (CN, verb,
 * noun) in a bounded cache, since a fleet repeats the same few calls.
 */
import { globMatcher, type Matcher } from "./_glob.ts";
import type { Action, Policy, PolicyRule } from "./rules.ts";

/** One call to judge. */
export interface PolicyCall {
  /** The calling peer's CN. */
  readonly cn: string;
  /** The verb, any case. */
  readonly verb: string;
  /** The raw noun, arguments included. */
  readonly noun: string;
}

/** The handler name a verb and noun map to, or "" when they map to none (a bad noun). */
export type HandlerOf = (verb: string, noun: string) => string;

/** The outcome: the action, and the 1-based number of the deciding rule (0: the default decided). */
export interface Verdict {
  readonly action: Action;
  readonly rule: number;
}

/** A policy ready to judge calls. */
export interface CompiledPolicy {
  readonly policy: Policy;
  /** True when nothing can ever be denied (no rules, default allow): callers may skip the check. */
  readonly allowsAll: boolean;
  judge(call: PolicyCall): Verdict;
}

/** Distinct (CN, verb, noun) verdicts remembered; the cache is emptied when full. */
export const VERDICT_CACHE_SIZE = 4_096;
/** Longest key cached: with VERDICT_CACHE_SIZE, the cache holds at most 2 MiB of keys (UTF-16); longer calls are judged each time. */
export const VERDICT_CACHE_KEY_LENGTH = 256;

interface CompiledRule {
  readonly number: number;
  readonly action: Action;
  readonly cn: Matcher;
  readonly verbs: ReadonlySet<string> | undefined;
  readonly noun: Matcher | undefined;
  readonly handler: Matcher | undefined;
}

/** Compiles a checked policy. */
export function compilePolicy(policy: Policy, handlerOf: HandlerOf): CompiledPolicy {
  const rules = policy.rules.map(compileRule);
  const denies = rules.filter((rule) => rule.action === "deny");
  const allows = rules.filter((rule) => rule.action === "allow");
  const byDefault: Verdict = Object.freeze({ action: policy.default, rule: 0 });
  const cache = new Map<string, Verdict>();
  const decide = (call: PolicyCall): Verdict => {
    const verb = call.verb.toUpperCase();
    const handler = rules.some((rule) => rule.handler !== undefined) ? handlerOf(call.verb, call.noun) : "";
    const deny = denies.find((rule) => matches(rule, call, verb, handler));
    if (deny) return { action: "deny", rule: deny.number };
    const allow = allows.find((rule) => matches(rule, call, verb, handler));
    return allow ? { action: "allow", rule: allow.number } : byDefault;
  };
  return {
    policy,
    allowsAll: rules.length === 0 && policy.default === "allow",
    judge(call) {
      const key = `${call.cn}\u0000${call.verb}\u0000${call.noun}`;
      const known = cache.get(key);
      if (known) return known;
      const verdict = decide(call);
      if (key.length > VERDICT_CACHE_KEY_LENGTH) return verdict;
      if (cache.size >= VERDICT_CACHE_SIZE) cache.clear();
      cache.set(key, verdict);
      return verdict;
    },
  };
}

function compileRule(rule: PolicyRule, index: number): CompiledRule {
  return {
    number: index + 1,
    action: rule.action,
    cn: globMatcher(rule.cn),
    verbs: rule.verbs.length === 0 ? undefined : new Set(rule.verbs),
    noun: rule.noun === undefined ? undefined : globMatcher(rule.noun),
    handler: rule.handler === undefined ? undefined : globMatcher(rule.handler),
  };
}

function matches(rule: CompiledRule, call: PolicyCall, verb: string, handler: string): boolean {
  return (
    rule.cn(call.cn) &&
    (rule.verbs === undefined || rule.verbs.has(verb)) &&
    (rule.noun === undefined || rule.noun(call.noun)) &&
    (rule.handler === undefined || rule.handler(handler))
  );
}
