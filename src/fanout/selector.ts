/**
 * Fan-out selectors, the segment after `/clients/`: `*` (every client), a CN
 * glob (`edge-*`, `?` is one character), a comma list of CNs or globs
 * (`edge-1,edge-2`), or a label set (`role=db,site=fra`: every label must
 * match). Parsed from the raw, percent-encoded segment.
 */
import { hasLabels, parseLabels, type Labels } from "../labels/index.ts";
import { FanoutRequestError } from "./errors.ts";

/** Most names or globs in one comma list. */
export const MAX_SELECTOR_ITEMS = 1000;

/** Most globs in one selector: each is tried against every connected client. */
export const MAX_SELECTOR_GLOBS = 16;

/** Longest name or glob in a selector (longer than any CN the built-in CA issues). */
export const MAX_SELECTOR_ITEM_LENGTH = 256;

/** What a fan-out asks for. */
export type Selector =
  | { readonly kind: "all" }
  | { readonly kind: "names"; readonly names: ReadonlySet<string>; readonly globs: readonly string[] }
  | { readonly kind: "labels"; readonly labels: Labels };

/** A client as a selector sees it. */
export interface Candidate {
  readonly name: string;
  readonly labels: Labels;
}

const USAGE = "use *, a CN glob (edge-*), a comma list of CNs (edge-1,edge-2) or labels (role=db,site=fra)";

/** Parses the raw selector segment; FanoutRequestError (400) says what is wrong and what is accepted. */
export function parseSelector(raw: string): Selector {
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch {
    throw new FanoutRequestError(`Cannot read selector "${raw}": invalid percent-encoding; ${USAGE}`);
  }
  const refuse = (why: string) => new FanoutRequestError(`Cannot read selector ${JSON.stringify(text)}: ${why}; ${USAGE}`);
  if (text === "") throw refuse("it is empty");
  if (/[\u0000-\u001f\u007f/\\]/.test(text)) throw refuse("control characters, slashes and backslashes are not allowed");
  if (text === "*") return { kind: "all" };
  const items = text.split(",");
  if (items.length > MAX_SELECTOR_ITEMS) throw refuse(`${items.length} items is more than the limit of ${MAX_SELECTOR_ITEMS}`);
  if (items.some((item) => item === "")) throw refuse("an item of the list is empty");
  if (items.some((item) => item.length > MAX_SELECTOR_ITEM_LENGTH)) throw refuse(`an item is longer than ${MAX_SELECTOR_ITEM_LENGTH} characters`);
  if (text.includes("=")) {
    try {
      return { kind: "labels", labels: parseLabels(items) };
    } catch (error) {
      throw refuse((error as Error).message);
    }
  }
  const globs = [...new Set(items.filter(isGlob))];
  if (globs.length > MAX_SELECTOR_GLOBS) throw refuse(`${globs.length} globs is more than the limit of ${MAX_SELECTOR_GLOBS}`);
  return { kind: "names", names: new Set(items.filter((item) => !isGlob(item))), globs };
}

/** Whether `candidate` is selected. */
export function selects(selector: Selector, candidate: Candidate): boolean {
  switch (selector.kind) {
    case "all":
      return true;
    case "labels":
      return hasLabels(candidate.labels, selector.labels);
    case "names":
      return selector.names.has(candidate.name) || selector.globs.some((glob) => globMatches(glob, candidate.name));
  }
}

/** The exact names a selector lists (none for `*`, labels or globs): they can be looked up instead of scanned. */
export function exactNames(selector: Selector): readonly string[] | undefined {
  if (selector.kind !== "names" || selector.globs.length > 0) return undefined;
  return [...selector.names];
}

function isGlob(text: string): boolean {
  return text.includes("*") || text.includes("?");
}

/**
 * Whether `text` matches `glob` (`*` any run, `?` one character), without
 * a regular expression: a hostile glob such as `*a*a*a*b` must not
 * backtrack exponentially. Greedy with one resume point: at worst length × length steps.
 */
export function globMatches(glob: string, text: string): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (g < glob.length && (glob[g] === "?" || (glob[g] !== "*" && glob[g] === text[t]))) {
      g++;
      t++;
    } else if (g < glob.length && glob[g] === "*") {
      star = g++;
      resume = t;
    } else if (star !== -1) {
      g = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === "*") g++;
  return g === glob.length;
}
