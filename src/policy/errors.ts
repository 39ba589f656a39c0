/** Errors of the policy module. */

/** A policy that cannot be used; the message names the rule and field. */
export class PolicyError extends Error {
  override name = "PolicyError";
}
