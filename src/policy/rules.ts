/**
 * A policy as written in the config file (`RP_SERVER_POLICY`,
 * `RP_CLIENT_POLICY`: a TOML table or JSON object), checked field by field:
 * a policy with any problem is refused whole, naming the rule and the field.
 */
import { PolicyError } from "./errors.ts";

/** What a rule decides. */
export type Action = "allow" | "deny";

/** The event methods a rule may name. */
export const POLICY_VERBS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** One rule: who (CN) × what (verbs, noun or handler) → allow or deny. Absent fields match anything. */
export interface PolicyRule {
  /** CN of the calling peer: exact, or a glob (`edge-*`). */
  readonly cn: string;
  /** Upper-case verbs; empty = every verb. */
  readonly verbs: readonly string[];
  /** Glob over the raw noun, arguments included (`files//*`); undefined = any. */
  readonly noun: string | undefined;
  /** Glob over the handler name (`get_files*`); undefined = any. */
  readonly handler: string | undefined;
  readonly action: Action;
}

/** A checked policy: ordered rules and the verdict when none matches. */
export interface Policy {
  readonly default: Action;
  readonly rules: readonly PolicyRule[];
}

/** The policy of a node with none configured: everything allowed (as before policies existed). */
export const ALLOW_ALL: Policy = Object.freeze({ default: "allow", rules: Object.freeze([]) });

/** Most rules a policy may hold. */
export const MAX_RULES = 10_000;
/** Longest pattern a rule may hold (a noun is at most 2048 bytes). */
export const MAX_PATTERN_LENGTH = 2_048;

const RULE_KEYS = new Set(["cn", "verbs", "verb", "noun", "handler", "action"]);
const POLICY_KEYS = new Set(["default", "rules"]);

/** Checks a config value (JSON or TOML) and returns the policy; throws PolicyError naming the first problem. */
export function parsePolicy(value: unknown): Policy {
  const object = record(value, "the policy must be an object (TOML table) with `rules` and `default`");
  for (const key of Object.keys(object)) {
    if (!POLICY_KEYS.has(key)) throw new PolicyError(`unknown key ${JSON.stringify(key)} (known: default, rules)`);
  }
  const defaultAction = object["default"] === undefined ? "allow" : action(object["default"], "default");
  const rawRules = object["rules"] ?? [];
  if (!Array.isArray(rawRules)) throw new PolicyError("`rules` must be an array (TOML: [[...rules]] tables)");
  if (rawRules.length > MAX_RULES) throw new PolicyError(`${rawRules.length} rules exceed the limit of ${MAX_RULES}`);
  const rules = rawRules.map((raw, index) => parseRule(raw, index + 1));
  return Object.freeze({ default: defaultAction, rules: Object.freeze(rules) });
}

function parseRule(value: unknown, number: number): PolicyRule {
  const where = `rule ${number}`;
  const object = record(value, `${where} must be an object (TOML table)`);
  for (const key of Object.keys(object)) {
    if (!RULE_KEYS.has(key)) throw new PolicyError(`${where}: unknown key ${JSON.stringify(key)} (known: cn, verbs, noun, handler, action)`);
  }
  if (object["verb"] !== undefined && object["verbs"] !== undefined) throw new PolicyError(`${where}: give \`verbs\` or \`verb\`, not both`);
  return Object.freeze({
    cn: pattern(object["cn"] ?? "*", `${where}: cn`),
    verbs: Object.freeze(verbs(object["verbs"] ?? object["verb"] ?? "*", where)),
    noun: object["noun"] === undefined ? undefined : pattern(object["noun"], `${where}: noun`),
    handler: object["handler"] === undefined ? undefined : pattern(object["handler"], `${where}: handler`),
    action: action(object["action"], `${where}: action`),
  });
}

function record(value: unknown, message: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new PolicyError(message);
  return value as Record<string, unknown>;
}

function action(value: unknown, where: string): Action {
  if (value === "allow" || value === "deny") return value;
  throw new PolicyError(`${where} must be "allow" or "deny" (got ${JSON.stringify(value) ?? "nothing"})`);
}

function pattern(value: unknown, where: string): string {
  if (typeof value !== "string" || value === "") throw new PolicyError(`${where} must be a non-empty string (exact, or a glob with * and ?)`);
  if (value.length > MAX_PATTERN_LENGTH) throw new PolicyError(`${where}: ${value.length} characters exceed the limit of ${MAX_PATTERN_LENGTH}`);
  if (/[\x00-\x1f\x7f]/.test(value)) throw new PolicyError(`${where} must not contain control characters`);
  return value;
}

function verbs(value: unknown, where: string): string[] {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== "string")) {
    throw new PolicyError(`${where}: verbs must be a verb or a non-empty list of them (${POLICY_VERBS.join(", ")}, or "*")`);
  }
  const upper = (list as string[]).map((v) => v.toUpperCase());
  if (upper.includes("*")) return [];
  const unknown = upper.find((v) => !(POLICY_VERBS as readonly string[]).includes(v));
  if (unknown !== undefined) throw new PolicyError(`${where}: unknown verb ${JSON.stringify(unknown)} (use ${POLICY_VERBS.join(", ")}, or "*")`);
  return [...new Set(upper)];
}
