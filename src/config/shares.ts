/** The configured shares: `docs=/srv/docs` pairs, checked once at start-up. */

/** One read-only (or, when asked for, writable) directory exposed under a name. */
export interface ShareConfig {
  readonly name: string;
  /** The directory as configured. */
  readonly root: string;
  readonly writable: boolean;
  readonly hidden: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Parses `--share NAME=DIR` values (and the comma-separated `RP_*_SHARES`);
 * throws with the fix on a bad or repeated name.
 */
export function parseShares(
  specs: readonly string[],
  options: { readonly writable?: readonly string[]; readonly hidden?: boolean } = {},
): ShareConfig[] {
  const writable = new Set(options.writable ?? []);
  const seen = new Set<string>();
  const shares = specs.map((spec) => {
    const equals = spec.indexOf("=");
    const name = equals === -1 ? "" : spec.slice(0, equals);
    const root = equals === -1 ? "" : spec.slice(equals + 1);
    if (!NAME.test(name) || root === "") {
      throw new Error(`Cannot share "${spec}": expected NAME=DIR with a name of letters, digits, ".", "_" or "-" (at most 64)`);
    }
    if (seen.has(name)) throw new Error(`Cannot share "${spec}": the name ${name} is given twice`);
    seen.add(name);
    return { name, root, writable: writable.has(name), hidden: options.hidden ?? false };
  });
  for (const name of writable) {
    if (!seen.has(name)) throw new Error(`Cannot make share ${name} writable: no share of that name; add --share ${name}=DIR`);
  }
  return shares;
}
