/**
 * Judging one call against a policy. Deny wins: a call that any deny rule
 * matches is refused whatever allow rules say, wherever they stand; a call
 * no rule matches gets the default. The rules are sorted once by the verbs
 * they name (a call is matched only against the rules for its verb), and
 * verdicts are remembered per (CN, verb, noun) in a bounded cache of nested
 * maps (no key is built per call), since a fleet repeats the same few calls.
 */
import { globMatcher, type Matcher } from "./_glob.ts";
import { POLICY_VERBS, type Action, type Policy, type PolicyRule } from "./rules.ts";

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
/** Longest call cached (CN, verb and noun, plus 2): with VERDICT_CACHE_SIZE, the cache holds at most 2 MiB of keys (UTF-16); longer calls are judged each time. */
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
  const byVerb = new Map<string, RulesFor>(POLICY_VERBS.map((verb) => [verb, rulesFor(rules, verb)]));
  // A verb no rule can name (not one of POLICY_VERBS) is matched by the rules for every verb only.
  const otherVerbs = rulesFor(rules, undefined);
  const needsHandler = rules.some((rule) => rule.handler !== undefined);
  const byDefault: Verdict = Object.freeze({ action: policy.default, rule: 0 });
  const decide = (call: PolicyCall): Verdict => {
    const verb = call.verb.toUpperCase();
    const { denies, allows } = byVerb.get(verb) ?? otherVerbs;
    const handler = needsHandler ? handlerOf(call.verb, call.noun) : "";
    const deny = denies.find((rule) => matches(rule, call, handler));
    if (deny) return { action: "deny", rule: deny.number };
    const allow = allows.find((rule) => matches(rule, call, handler));
    return allow ? { action: "allow", rule: allow.number } : byDefault;
  };
  // CN → verb → noun → verdict; `cached` counts the verdicts, so the whole cache holds at most VERDICT_CACHE_SIZE.
  let cache = new Map<string, Map<string, Map<string, Verdict>>>();
  let cached = 0;
  // The last call judged and its verdict: a peer repeats one call many times in a row, and three string
  // comparisons cost less than three Map lookups (which hash each fresh string the decoder made).
  let lastCn: string | undefined;
  let lastVerb = "";
  let lastNoun = "";
  let lastVerdict = byDefault;
  return {
    policy,
    allowsAll: rules.length === 0 && policy.default === "allow",
    judge(call) {
      if (call.noun === lastNoun && call.verb === lastVerb && call.cn === lastCn) return lastVerdict;
      const verdict = cache.get(call.cn)?.get(call.verb)?.get(call.noun) ?? judgeAndKeep(call);
      lastCn = call.cn;
      lastVerb = call.verb;
      lastNoun = call.noun;
      lastVerdict = verdict;
      return verdict;
    },
  };
  function judgeAndKeep(call: PolicyCall): Verdict {
    const verdict = decide(call);
    if (call.cn.length + call.verb.length + call.noun.length + 2 > VERDICT_CACHE_KEY_LENGTH) return verdict;
    if (cached >= VERDICT_CACHE_SIZE) {
      cache = new Map();
      cached = 0;
    }
    let verbs = cache.get(call.cn);
    if (verbs === undefined) cache.set(call.cn, (verbs = new Map()));
    let nouns = verbs.get(call.verb);
    if (nouns === undefined) verbs.set(call.verb, (nouns = new Map()));
    nouns.set(call.noun, verdict);
    cached++;
    return verdict;
  }
}

/** The deny and the allow rules that can match a call with `verb` (undefined: a verb no rule names), in their order. */
interface RulesFor {
  readonly denies: readonly CompiledRule[];
  readonly allows: readonly CompiledRule[];
}

function rulesFor(rules: readonly CompiledRule[], verb: string | undefined): RulesFor {
  const fit = rules.filter((rule) => rule.verbs === undefined || (verb !== undefined && rule.verbs.has(verb)));
  return { denies: fit.filter((rule) => rule.action === "deny"), allows: fit.filter((rule) => rule.action === "allow") };
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

/** Whether `rule` (one of the rules for the call's verb) matches the call. */
function matches(rule: CompiledRule, call: PolicyCall, handler: string): boolean {
  return (
    rule.cn(call.cn) &&
    (rule.noun === undefined || rule.noun(call.noun)) &&
    (rule.handler === undefined || rule.handler(handler))
  );
}
