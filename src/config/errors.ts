/** The error every configuration problem is reported with. */

/** The configuration is invalid. `problems` holds every problem found; the message lists them one per line. */
export class ConfigError extends Error {
  override name = "ConfigError";
  /** One entry per problem, each naming the variable or flag and the value seen. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join("\n"));
    this.problems = Object.freeze([...problems]);
  }
}
