/**
 * Loading: defaults, then the config file, then the environment, then flags
 * (each overriding the one before), parsed and cross-checked in one pass that
 * reports every problem at once.
 */
import { ConfigError } from "./errors.ts";
import { isLoopbackHost } from "./_host.ts";
import { InvalidValue } from "./_invalid.ts";
import { runtimeEnvProblems } from "./_runtime-env.ts";
import { freezeWithOrigins, type Origin } from "./_origins.ts";
import { Derived, settingsOf, type Setting } from "./_settings.ts";
import type { ClientConfig, ConfigSources, Role, ServerConfig } from "./types.ts";

/**
 * Loads and validates rp-server's configuration; throws ConfigError listing every problem.
 * The result is frozen, and remembers each value's source for describeConfig.
 */
export function loadServerConfig(sources: ConfigSources): ServerConfig {
  return load("server", sources) as unknown as ServerConfig;
}

/** Loads and validates rp-client's configuration; see loadServerConfig. */
export function loadClientConfig(sources: ConfigSources): ClientConfig {
  return load("client", sources) as unknown as ClientConfig;
}

type Raw = { readonly origin: Origin } | { readonly problem: string };

function load(role: Role, sources: ConfigSources): Record<string, unknown> {
  const rows = settingsOf(role);
  const problems: string[] = [...runtimeEnvProblems(sources.env ?? {}), ...unknownFlags(role, sources.flags ?? {}), ...unknownFileKeys(role, sources.file ?? {})];
  const values: Record<string, unknown> = {};
  const byKey: Record<string, Origin> = {};
  for (const [key, setting] of rows) {
    const raw = pick(setting, sources);
    if (raw === undefined) {
      byKey[key] = { source: "default", name: setting.env[0] };
      if (!(setting.default instanceof Derived)) values[key] = setting.default;
      continue;
    }
    if ("problem" in raw) {
      problems.push(raw.problem);
      continue;
    }
    byKey[key] = raw.origin;
    try {
      values[key] = raw.origin.source === "file" ? setting.parser.fromJson(raw.origin.raw) : parseText(setting, raw.origin.raw);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      problems.push(`${label(raw.origin, setting, undefined)}: ${error.message}`);
    }
  }
  for (const [key, setting] of rows) {
    if (byKey[key]?.source === "default" && setting.default instanceof Derived) {
      const value = setting.default.compute(values);
      if (value !== undefined) values[key] = value;
    }
  }
  problems.push(...crossCheck(role, values, byKey));
  if (problems.length > 0) throw new ConfigError(problems);
  // Rebuilt in table order (derived defaults were filled in last).
  const config = Object.fromEntries(rows.map(([key]) => [key, values[key]]));
  return freezeWithOrigins(config, { role, byKey });
}

/** Flags (boolean flags may arrive as booleans), then the env (canonical name first), then the file. */
function pick(setting: Setting<unknown>, { flags = {}, env = {}, file = {} }: ConfigSources): Raw | undefined {
  if (setting.flag !== undefined && Object.hasOwn(flags, setting.flag)) {
    const given = flags[setting.flag]!;
    const name = `--${setting.flag}`;
    // A repeatable flag counts every time it is given: the values go to the parser as a list.
    if (setting.repeatable && typeof given === "object") return { origin: { source: "flag", name, raw: [...given] } };
    const last: string | boolean | undefined = typeof given === "object" ? given[given.length - 1] : given;
    if (typeof last === "boolean" && setting.parser.placeholder !== "") return { problem: `${name}: needs a value` };
    if (last !== undefined) return { origin: { source: "flag", name, raw: last } };
  }
  for (const name of setting.env) {
    if (env[name] !== undefined) return { origin: { source: "env", name, raw: env[name] } };
  }
  for (const name of setting.env) {
    if (Object.hasOwn(file, name) && file[name] !== undefined) return { origin: { source: "file", name, raw: file[name] } };
  }
  return undefined;
}

function parseText(setting: Setting<unknown>, raw: unknown): unknown {
  if (Array.isArray(raw)) return setting.parser.fromJson(raw);
  return typeof raw === "boolean" ? raw : setting.parser.fromText(raw as string);
}

/** `RP_SERVER_BIND_PORT="abc"`, `--port="abc"`, `RP_SERVER_BIND_PORT=70000 in the config file`; secrets as `(hidden)`. */
function label(origin: Origin, setting: Setting<unknown>, value: unknown): string {
  if (origin.source === "default") return `${origin.name} (default ${setting.parser.format(value)})`;
  const redact = setting.parser.redact;
  const raw = redact && typeof origin.raw === "string" ? redact(origin.raw) : origin.raw;
  const shown = setting.parser.secret ? "(hidden)" : (JSON.stringify(raw) ?? String(raw));
  return `${origin.name}=${shown}${origin.source === "file" ? " in the config file" : ""}`;
}

function unknownFlags(role: Role, flags: Readonly<Record<string, unknown>>): string[] {
  const known = new Set(settingsOf(role).map(([, setting]) => setting.flag));
  return Object.keys(flags)
    .filter((name) => !known.has(name))
    .map((name) => (name.startsWith("-") ? `unknown flag name ${JSON.stringify(name)}: flag names are given without dashes` : `unknown flag --${name}`));
}

function unknownFileKeys(role: Role, file: Readonly<Record<string, unknown>>): string[] {
  const other: Role = role === "server" ? "client" : "server";
  const names = (r: Role) => new Set(settingsOf(r).flatMap(([, setting]) => setting.env));
  const [mine, theirs] = [names(role), names(other)];
  return Object.keys(file)
    .filter((name) => !mine.has(name))
    .map((name) => `unknown setting ${name} in the config file${theirs.has(name) ? ` (it is an rp-${other} setting)` : ""}`);
}

/** Rules between settings; a rule is skipped when one of its inputs failed to parse (that error is already reported). */
function crossCheck(role: Role, values: Readonly<Record<string, unknown>>, byKey: Readonly<Record<string, Origin>>): string[] {
  const rows = new Map(settingsOf(role));
  const at = (key: string) => ({ origin: byKey[key]!, setting: rows.get(key)!, value: values[key], valid: Object.hasOwn(values, key) });
  const blame = (entry: ReturnType<typeof at>) => label(entry.origin, entry.setting, entry.value);
  const problems: string[] = [];

  const [body, frame] = [at("maxBodyBytes"), at("maxFrameBytes")];
  if (body.valid && frame.valid && (frame.value as number) <= (body.value as number)) {
    problems.push(`${blame(frame)}: must be greater than ${body.setting.env[0]} (${body.value as number} bytes)`);
  }

  if (role === "client") {
    const [base, cap] = [at("reconnectBaseMs"), at("reconnectCapMs")];
    if (base.valid && cap.valid && (cap.value as number) < (base.value as number)) {
      problems.push(
        cap.origin.source === "default"
          ? `${blame(base)}: must be at most ${cap.setting.env[0]} (${cap.setting.parser.format(cap.value)})`
          : `${blame(cap)}: must be at least ${base.setting.env[0]} (${base.setting.parser.format(base.value)})`,
      );
    }
  }

  const [shares, writable] = [at("shares"), at("shareWritable")];
  if (shares.valid && writable.valid) {
    const named = new Set((shares.value as ServerConfig["shares"]).map((share) => share.name));
    for (const name of writable.value as readonly string[]) {
      if (!named.has(name)) problems.push(`${blame(writable)}: Cannot make share ${name} writable: no share of that name; add --share ${name}=DIR`);
    }
  }

  if (role === "server") {
    const [urls, fleet] = [at("natsUrls"), at("fleet")];
    if (urls.valid && fleet.valid && (urls.value as readonly string[]).length > 0 && fleet.value === undefined) {
      problems.push(`${blame(urls)}: a fleet needs its name too; set ${fleet.setting.env[0]}`);
    }
    if (urls.valid && fleet.valid && (urls.value as readonly string[]).length === 0 && fleet.value !== undefined) {
      problems.push(`${blame(fleet)}: a fleet needs NATS; set ${urls.setting.env[0]} (nats://HOST:4222)`);
    }
    const [cert, key] = [at("natsCertFile"), at("natsKeyFile")];
    if (cert.valid && key.valid && (cert.value === undefined) !== (key.value === undefined)) {
      const [given, missing] = cert.value === undefined ? [key, cert] : [cert, key];
      problems.push(`${blame(given)}: Cannot show NATS a client certificate without ${given === cert ? "its key" : "the certificate"}; set ${missing.setting.env[0]} too`);
    }
  }

  const [http, token] = [at("http"), at("httpToken")];
  const listen = http.value as ServerConfig["http"];
  if (http.valid && token.valid && listen.kind === "tcp" && !isLoopbackHost(listen.host) && token.value === undefined) {
    problems.push(`${blame(http)}: listening beyond loopback needs ${token.setting.env[0]}`);
  }
  return problems;
}
