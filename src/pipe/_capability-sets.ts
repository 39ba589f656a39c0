/**
 * The peers' capability sets, shared: peers of one version announce the same list, and a Set of six strings cost
 * each idle pipe ~700 bytes of the server's heap (the largest JS item per connection at 2,000 clients). A bounded
 * table: a peer that announces ever new lists (they are attacker-controlled) gets a Set of its own past the bound.
 */

/** Distinct lists kept; more than a fleet of mixed versions announces. */
const MAX_SHARED = 32;

const shared = new Map<string, ReadonlySet<string>>();

/** A read-only Set of `capabilities`, the same object for every pipe whose peer announced the same members. */
export function capabilitySet(capabilities: readonly string[]): ReadonlySet<string> {
  const key = [...new Set(capabilities)].sort().join("\n");
  const known = shared.get(key);
  if (known !== undefined) return known;
  const set: ReadonlySet<string> = new Set(capabilities);
  if (shared.size < MAX_SHARED) shared.set(key, set);
  return set;
}
