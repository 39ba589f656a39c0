/**
 * Glob patterns of policy rules: `*` matches any run of characters (`/`
 * included), `?` exactly one, everything else itself (case-sensitive, as CNs
 * are). Matched without regular expressions, in O(pattern × text) at worst:
 * names come from the network and must not drive a backtracking engine.
 */

/** A compiled pattern: a literal is compared as a string, a glob walked. */
export type Matcher = (text: string) => boolean;

/** Compiles `pattern`. */
export function globMatcher(pattern: string): Matcher {
  if (pattern === "*") return () => true;
  if (!pattern.includes("*") && !pattern.includes("?")) return (text) => text === pattern;
  return (text) => globMatch(pattern, text);
}

/** The classic greedy wildcard walk, going back only to the last star. */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    const c = pattern[p];
    if (c === "*") {
      star = p++;
      resume = t;
    } else if (c !== undefined && (c === "?" || c === text[t])) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}
