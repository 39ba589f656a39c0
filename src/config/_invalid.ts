/** The internal signal a value parser throws; the loader prefixes it with the variable and the value and collects it. */

/** One value failed to parse. `message` is the rule it broke, e.g. "must be an integer port 0-65535". */
export class InvalidValue extends Error {
  override name = "InvalidValue";
}
