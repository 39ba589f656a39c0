/**
 * Value syntaxes of settings. Each parser reads the text of an environment
 * variable or flag, and the JSON value of a config-file key, and throws
 * InvalidValue with the rule that was broken.
 */
import { isHost, parseIpv6 } from "./_host.ts";
import { InvalidValue } from "./_invalid.ts";
import { formatListen, listenFromText, type Listen } from "./listen.ts";
import { parsePolicy, PolicyError, type Policy } from "../policy/index.ts";
import { parseNoProxy, type NoProxy } from "./no-proxy.ts";
import { formatProxy, type ProxyEndpoint } from "../proxy/index.ts";
import { parseShares, type ShareConfig } from "./shares.ts";
import { formatTargetList, parseTargetList } from "./targets.ts";

/** How one setting's value is read and shown. */
export interface Parser<T> {
  /** The VALUE placeholder in --help; "" for a boolean flag, which takes no value. */
  readonly placeholder: string;
  /** Never shown: errors print "(hidden)", descriptions "(set)". */
  readonly secret: boolean;
  /** Reads an environment variable or flag. */
  fromText(text: string): T;
  /** Reads a config-file value (a JSON number, boolean or string). */
  fromJson(value: unknown): T;
  /** Shows a value in `config check` and --help. */
  format(value: T): string;
  /** Masks what must not be echoed in an error about the raw text (a password inside a URL). */
  readonly redact?: (text: string) => string;
}

type Base<T> = Omit<Parser<T>, "secret" | "fromJson"> & Partial<Pick<Parser<T>, "secret" | "fromJson">>;

function parser<T>(base: Base<T>): Parser<T> {
  const fromJson = (value: unknown): T => {
    if (typeof value === "string") return base.fromText(value);
    throw new InvalidValue("must be a JSON string");
  };
  return { secret: false, fromJson, ...base };
}

/** Numbers may come as JSON numbers or as strings in the env syntax. */
function numberOrText<T>(fromNumber: (value: number) => T, fromText: (text: string) => T, rule: string) {
  return (value: unknown): T => {
    if (typeof value === "number") return fromNumber(value);
    if (typeof value === "string") return fromText(value);
    throw new InvalidValue(rule);
  };
}

/** An integer in [min, max]; `rule` is the error message. */
export function integer(min: number, max: number, rule = `must be an integer from ${min} to ${max}`, placeholder = "N"): Parser<number> {
  const check = (value: number): number => {
    if (!Number.isInteger(value) || value < min || value > max) throw new InvalidValue(rule);
    return value;
  };
  const fromText = (text: string): number => {
    if (!/^\d+$/.test(text)) throw new InvalidValue(rule);
    return check(Number(text));
  };
  return parser({ placeholder, fromText, fromJson: numberOrText(check, fromText, rule), format: String });
}

/** A TCP port; `min` is 1 where port 0 ("any free port") makes no sense. */
export function port(min: 0 | 1): Parser<number> {
  return integer(min, 65_535, `must be an integer port ${min}-65535`, "PORT");
}

/** Longest duration any setting accepts: one day (also keeps every timer below the 2^31 ms limit). */
export const MAX_SECONDS = 86_400;

/** Seconds in the environment (fractions down to 0.001), milliseconds in the config. */
export function seconds(min: 0 | 0.001): Parser<number> {
  const rule = `must be a number of seconds from ${min} to ${MAX_SECONDS} (at most 3 decimals)`;
  const check = (ms: number): number => {
    if (!Number.isSafeInteger(ms) || ms < min * 1000 || ms > MAX_SECONDS * 1000) throw new InvalidValue(rule);
    return ms;
  };
  const fromText = (text: string): number => {
    const match = /^(?=\.?\d)(\d*)(?:\.(\d{0,3}))?$/.exec(text);
    if (match === null) throw new InvalidValue(rule);
    return check(Number(match[1] || "0") * 1000 + Number((match[2] ?? "").padEnd(3, "0")));
  };
  const fromNumber = (value: number): number => {
    const ms = Math.round(value * 1000);
    if (Math.abs(ms - value * 1000) > 1e-6) throw new InvalidValue(rule);
    return check(ms);
  };
  return parser({ placeholder: "SECONDS", fromText, fromJson: numberOrText(fromNumber, fromText, rule), format: (ms) => `${ms / 1000} s` });
}

/** Whole seconds in [min, max] (the environment and the file alike), milliseconds in the config. */
export function wholeSeconds(min: number, max: number): Parser<number> {
  const seconds = integer(min, max, `must be a whole number of seconds from ${min} to ${max}`, "SECONDS");
  return parser({
    placeholder: seconds.placeholder,
    fromText: (text) => seconds.fromText(text) * 1000,
    fromJson: (value) => seconds.fromJson(value) * 1000,
    format: (ms) => `${ms / 1000} s`,
  });
}

const UNITS = [
  ["GiB", 1024 ** 3],
  ["MiB", 1024 ** 2],
  ["KiB", 1024],
] as const;

/** "16777216 (16 MiB)": the exact count, plus the largest unit that divides it. */
export function formatBytes(bytes: number): string {
  const unit = UNITS.find(([, size]) => bytes !== 0 && bytes % size === 0);
  return unit === undefined ? `${bytes} B` : `${bytes} (${bytes / unit[1]} ${unit[0]})`;
}

/** A byte count: an integer, optionally with a KiB, MiB or GiB suffix. */
export function byteSize(min: number, max: number): Parser<number> {
  const rule = `must be a byte count from ${min} to ${max}: an integer, optionally with KiB, MiB or GiB (e.g. 16MiB)`;
  const check = (bytes: number): number => {
    if (!Number.isSafeInteger(bytes) || bytes < min || bytes > max) throw new InvalidValue(rule);
    return bytes;
  };
  const fromText = (text: string): number => {
    const match = /^(\d+)(KiB|MiB|GiB)?$/.exec(text);
    if (match === null) throw new InvalidValue(rule);
    const unit = UNITS.find(([name]) => name === match[2]);
    return check(Number(match[1]) * (unit?.[1] ?? 1));
  };
  return parser({ placeholder: "BYTES", fromText, fromJson: numberOrText(check, fromText, rule), format: formatBytes });
}

const TRUE = ["1", "true", "yes", "on"];
const FALSE = ["0", "false", "no", "off", ""];

/** A switch: 1/true/yes/on or 0/false/no/off/"" (any case); JSON true/false/1/0. */
export function boolean(): Parser<boolean> {
  const rule = "must be one of 1, true, yes, on, 0, false, no, off or empty";
  const fromText = (text: string): boolean => {
    const lower = text.toLowerCase();
    if (TRUE.includes(lower)) return true;
    if (FALSE.includes(lower)) return false;
    throw new InvalidValue(rule);
  };
  const fromJson = (value: unknown): boolean => {
    if (typeof value === "boolean") return value;
    if (value === 0 || value === 1) return value === 1;
    if (typeof value === "string") return fromText(value);
    throw new InvalidValue(rule);
  };
  return parser({ placeholder: "", fromText, fromJson, format: String });
}

/** One of a fixed list of words. */
export function oneOf<const W extends string>(words: readonly W[]): Parser<W> {
  const fromText = (text: string): W => {
    if ((words as readonly string[]).includes(text)) return text as W;
    throw new InvalidValue(`must be one of ${words.join(", ")}`);
  };
  return parser({ placeholder: words.join("|"), fromText, format: String });
}

/** An IP literal or host name; a bracketed IPv6 literal loses its brackets. */
export function host(): Parser<string> {
  const fromText = (text: string): string => {
    const bare = /^\[.*\]$/.test(text) ? text.slice(1, -1) : text;
    if (bare === text ? isHost(bare) : parseIpv6(bare) !== undefined) return bare;
    throw new InvalidValue("must be an IP address or host name");
  };
  return parser({ placeholder: "HOST", fromText, format: String });
}

/** The client's servers, see parseTargetList: kept as normalised text (one bare host stays as it was given). */
export function targetList(): Parser<string> {
  return parser({ placeholder: "HOST[:PORT],...", fromText: (text) => formatTargetList(parseTargetList(text)), format: String });
}

/** A comma-separated list of NATS server URLs (nats://, tls://, or host:port); empty: none. */
export function natsUrls(): Parser<readonly string[]> {
  const fromText = (value: string): readonly string[] => {
    const urls = value.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
    for (const url of urls) {
      if (!/^(?:(?:nats|tls):\/\/)?(?:[^@\s/]+@)?[^\s/@]+(?::\d{1,5})?$/.test(url)) {
        throw new InvalidValue(`must be NATS URLs separated by commas, such as nats://127.0.0.1:4222 (not "${url.replace(/\/\/[^@/]*@/, "//***@")}")`);
      }
    }
    return Object.freeze(urls);
  };
  // User and password in a URL are shown masked, in `config check` and in errors alike.
  const redact = (text: string) => text.replace(/\/\/[^@/,]*@/g, "//***@");
  return parser({ placeholder: "URL[,URL...]", fromText, format: (urls) => (urls.length === 0 ? "none (no fleet)" : redact(urls.join(","))), redact });
}

/** A fleet name: it names the NATS buckets, so letters, digits, "-" and "_" only. */
export function fleetName(): Parser<string> {
  const fromText = (value: string): string => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) throw new InvalidValue('must be 1-64 letters, digits, "-" or "_"');
    return value;
  };
  return parser({ placeholder: "NAME", fromText, format: String });
}

/** "host:port" (a bracketed IPv6 literal allowed), as peers dial it. */
export function hostPort(): Parser<string> {
  const fromText = (value: string): string => {
    const match = /^(\[[^\]]+\]|[^:\[\]]+):(\d{1,5})$/.exec(value);
    const port = match ? Number(match[2]) : 0;
    const bare = match ? match[1]!.replace(/^\[(.*)\]$/, "$1") : "";
    if (!match || port < 1 || port > 65535 || !(isHost(bare) || parseIpv6(bare) !== undefined)) throw new InvalidValue("must be HOST:PORT (a port from 1 to 65535)");
    return value;
  };
  return parser({ placeholder: "HOST:PORT", fromText, format: String });
}

/** A listen address, see parseListen. */
export function listen(): Parser<Listen> {
  return parser({ placeholder: "HOST:PORT", fromText: listenFromText, format: formatListen });
}

/** Any non-empty text, e.g. a directory. */
export function text(placeholder: string): Parser<string> {
  const fromText = (value: string): string => {
    if (value === "") throw new InvalidValue("must not be empty");
    return value;
  };
  return parser({ placeholder, fromText, format: String });
}

const MODULE_EXTENSIONS = [".ts", ".js", ".mjs", ".mts"];

/** A path to a JavaScript or TypeScript module; kept as written (relative paths are resolved by the CLI). */
export function modulePath(): Parser<string> {
  const fromText = (value: string): string => {
    if (MODULE_EXTENSIONS.some((extension) => value.length > extension.length && value.endsWith(extension))) return value;
    throw new InvalidValue("must be a path to a .ts, .js, .mjs or .mts module");
  };
  return parser({ placeholder: "PATH", fromText, format: String });
}

/** A file mode in octal ("0600", "660"): read, write and execute bits only. */
export function fileMode(): Parser<number> {
  const fromText = (value: string): number => {
    if (!/^0?[0-7]{3}$/.test(value)) throw new InvalidValue("must be an octal file mode such as 0600 or 0660");
    return parseInt(value, 8);
  };
  return parser({ placeholder: "MODE", fromText, format: (mode: number) => `0${mode.toString(8).padStart(3, "0")}` });
}

/** A secret; `tokenLike` refuses whitespace and control characters (it travels in an HTTP header). */
export function secret(tokenLike: boolean): Parser<string> {
  const fromText = (value: string): string => {
    // eslint-disable-next-line no-control-regex
    if (tokenLike && /[\s\u0000-\u001f\u007f]/.test(value)) throw new InvalidValue("must not contain whitespace or control characters");
    return value;
  };
  return parser({ placeholder: "SECRET", secret: true, fromText, format: () => "(set)" });
}

/** A policy: a TOML table or JSON object in the file, its JSON text in the environment. */
export function policy(): Parser<Policy> {
  const check = (value: unknown): Policy => {
    try {
      return parsePolicy(value);
    } catch (error) {
      if (error instanceof PolicyError) throw new InvalidValue(error.message);
      throw error;
    }
  };
  const fromText = (text: string): Policy => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidValue('must be a policy as JSON: {"default": "allow"|"deny", "rules": [{"cn", "verbs", "noun", "handler", "action"}]}');
    }
    return check(value);
  };
  const format = (value: Policy) => `${value.rules.length} rule${value.rules.length === 1 ? "" : "s"}, default ${value.default}`;
  return { placeholder: "JSON", secret: false, fromText, fromJson: check, format };
}

/** Makes a setting optional: "" in the environment and null in the file mean unset. */
export function optional<T>(inner: Parser<T>): Parser<T | undefined> {
  return {
    placeholder: inner.placeholder,
    secret: inner.secret,
    fromText: (value) => (value === "" ? undefined : inner.fromText(value)),
    fromJson: (value) => (value === null || value === "" ? undefined : inner.fromJson(value)),
    format: (value) => (value === undefined ? "(unset)" : inner.format(value)),
  };
}

/**
 * An HTTP proxy URL, `http://[user:pass@]host[:port]` (no scheme means http; port 80 when left out, as in URLs).
 * A secret: errors show "(hidden)" and `config check` shows the password as "(set)".
 */
export function proxyUrl(): Parser<ProxyEndpoint> {
  const fromText = (value: string): ProxyEndpoint => {
    const withScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value) ? value : `http://${value}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new InvalidValue("must be a proxy URL http://[USER:PASSWORD@]HOST:PORT");
    }
    if (url.protocol !== "http:") {
      throw new InvalidValue(`must be an http:// proxy URL (${url.protocol.slice(0, 10)} proxies are not supported; set RP_CLIENT_PROXY to an http:// proxy, or to an empty value to dial directly)`);
    }
    if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") throw new InvalidValue("must be http://[USER:PASSWORD@]HOST:PORT with no path");
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    if (!isHost(host)) throw new InvalidValue("must name the proxy by an IP address or host name");
    const credentials = url.username === "" && url.password === "" ? {} : { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
    return Object.freeze({ host, port: url.port === "" ? 80 : Number(url.port), ...credentials });
  };
  return parser({ placeholder: "URL", secret: true, fromText, format: formatProxy });
}

/** A NO_PROXY list (see no-proxy.ts); empty means none. */
export function noProxyList(): Parser<NoProxy> {
  return parser({ placeholder: "LIST", fromText: parseNoProxy, format: (value) => (value.text === "" ? "(none)" : value.text) });
}

/** Shared directories: `NAME=DIR` items, comma-separated in the environment, repeated as flags, a list (or that string) in the file. */
export function shareList(): Parser<readonly ShareConfig[]> {
  const parse = (specs: readonly string[]): readonly ShareConfig[] => {
    try {
      return Object.freeze(parseShares(specs.map((spec) => spec.trim()).filter((spec) => spec !== "")));
    } catch (error) {
      throw new InvalidValue((error as Error).message);
    }
  };
  const fromText = (text: string): readonly ShareConfig[] => parse(text.split(","));
  const fromJson = (value: unknown): readonly ShareConfig[] => {
    if (typeof value === "string") return fromText(value);
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return parse(value.flatMap((item: string) => item.split(",")));
    throw new InvalidValue("must be a list of NAME=DIR strings (or one string of them, comma-separated)");
  };
  return parser({ placeholder: "NAME=DIR", fromText, fromJson, format: (shares) => shares.map((share) => `${share.name}=${share.root}`).join(",") || "none" });
}

/** Share names (`docs`): comma-separated in the environment, repeated as flags, a list (or that string) in the file. */
export function shareNames(): Parser<readonly string[]> {
  const rule = 'must be share names (letters, digits, ".", "_" or "-", at most 64), comma-separated';
  const parse = (items: readonly string[]): readonly string[] => {
    const names = items.map((item) => item.trim()).filter((item) => item !== "");
    if (!names.every((name) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name))) throw new InvalidValue(rule);
    return Object.freeze([...new Set(names)]);
  };
  const fromText = (text: string): readonly string[] => parse(text.split(","));
  const fromJson = (value: unknown): readonly string[] => {
    if (typeof value === "string") return fromText(value);
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return parse(value.flatMap((item: string) => item.split(",")));
    throw new InvalidValue(rule);
  };
  return parser({ placeholder: "NAME", fromText, fromJson, format: (names) => names.join(",") || "none" });
}
