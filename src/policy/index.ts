/** Who may call what: policy rules (CN × verbs × noun/handler → allow/deny), checked and judged. Pure. */
export * from "./errors.ts";
export * from "./rules.ts";
export * from "./evaluate.ts";
export * from "./describe.ts";
export { globMatch } from "./_glob.ts";
