/** Where each value of a loaded config came from, kept on the config itself under a non-enumerable symbol. */
import type { ConfigSource, Role } from "./types.ts";

/** The origin of one value: its source, the variable or flag it was read under, and the raw value seen. */
export interface Origin {
  readonly source: ConfigSource;
  /** `RP_SERVER_BIND_PORT`, `BIND_PORT`, `--port`; the canonical env name for a default. */
  readonly name: string;
  /** The text (env, flag) or JSON value (file) as given; absent for defaults. */
  readonly raw?: unknown;
}

/** What a loader records about one config. */
export interface Origins {
  readonly role: Role;
  readonly byKey: Readonly<Record<string, Origin>>;
}

const ORIGINS = Symbol("restpipe.config.origins");

/** Freezes `config` with its origins attached (non-enumerable: spreads, JSON and toEqual ignore them). */
export function freezeWithOrigins<C extends object>(config: C, origins: Origins): C {
  Object.defineProperty(config, ORIGINS, { value: Object.freeze(origins), enumerable: false });
  return Object.freeze(config);
}

/** The origins a loader attached, or undefined for a config built another way. */
export function originsOf(config: object): Origins | undefined {
  return (config as { [ORIGINS]?: Origins })[ORIGINS];
}
