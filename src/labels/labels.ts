/**
 * Client labels (`role=db`, `site=fra`): written by the built-in CA into the
 * client certificate as subjectAltName URIs `restpipe:label:<key>=<value>`,
 * so that they are as unspoofable as the CN. The syntax is strict and small
 * so that a label can sit in a URL selector and a terminal table as is.
 */

/** Prefix of a label's SAN URI: `restpipe:label:role=db`. */
export const LABEL_URI_PREFIX = "restpipe:label:";

/** Most labels one certificate may carry. */
export const MAX_LABELS = 16;

/** Longest key, and longest value, in characters. */
export const MAX_LABEL_PART_LENGTH = 63;

const KEY = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const VALUE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Labels by key; plain data, frozen. */
export type Labels = Readonly<Record<string, string>>;

/** No labels. */
export const NO_LABELS: Labels = Object.freeze({});

const RULE =
  `a key of 1-${MAX_LABEL_PART_LENGTH} lower-case letters, digits, ".", "_" or "-" (starting with a letter or digit), "=", ` +
  `and a value of 1-${MAX_LABEL_PART_LENGTH} letters, digits, ".", "_" or "-" (starting with a letter or digit)`;

/** Parses one `key=value`; RangeError naming the rule when it breaks it. */
export function parseLabel(text: string): { readonly key: string; readonly value: string } {
  const at = text.indexOf("=");
  const key = at === -1 ? text : text.slice(0, at);
  const value = at === -1 ? "" : text.slice(at + 1);
  if (at === -1 || !KEY.test(key) || !VALUE.test(value)) {
    throw new RangeError(`Cannot use label ${JSON.stringify(text)}: a label is ${RULE}, e.g. role=db`);
  }
  return { key, value };
}

/** Parses a list of `key=value` into Labels; RangeError on a bad label, a repeated key, or more than MAX_LABELS. */
export function parseLabels(texts: readonly string[]): Labels {
  if (texts.length > MAX_LABELS) throw new RangeError(`Cannot use ${texts.length} labels: at most ${MAX_LABELS} are allowed`);
  const labels: Record<string, string> = {};
  for (const text of texts) {
    const { key, value } = parseLabel(text);
    if (Object.hasOwn(labels, key)) throw new RangeError(`Cannot use label ${JSON.stringify(text)}: the key "${key}" is given twice`);
    labels[key] = value;
  }
  return Object.freeze(labels);
}

/** The SAN URI of one label. */
export function labelUri(key: string, value: string): string {
  return `${LABEL_URI_PREFIX}${key}=${value}`;
}

/**
 * The labels among a certificate's SAN URIs. URIs without the prefix are not
 * labels and are ignored; label URIs that break the syntax, repeat a key or
 * pass MAX_LABELS are left out and returned in `invalid`, so that a
 * certificate made elsewhere can never smuggle odd text into a selector.
 */
export function labelsFromUris(uris: readonly string[]): { readonly labels: Labels; readonly invalid: readonly string[] } {
  const labels: Record<string, string> = {};
  const invalid: string[] = [];
  let count = 0;
  for (const uri of uris) {
    if (!uri.startsWith(LABEL_URI_PREFIX)) continue;
    const text = uri.slice(LABEL_URI_PREFIX.length);
    const at = text.indexOf("=");
    const key = text.slice(0, at);
    const value = text.slice(at + 1);
    if (at === -1 || !KEY.test(key) || !VALUE.test(value) || Object.hasOwn(labels, key) || count >= MAX_LABELS) {
      invalid.push(uri);
      continue;
    }
    labels[key] = value;
    count++;
  }
  return { labels: Object.freeze(labels), invalid };
}

/** `role=db,site=fra` (keys sorted), "" for none: how the CLI prints labels. */
export function formatLabels(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(",");
}

/** Whether `labels` holds every key=value of `wanted`. */
export function hasLabels(labels: Labels, wanted: Labels): boolean {
  for (const key of Object.keys(wanted)) if (!Object.hasOwn(labels, key) || labels[key] !== wanted[key]) return false;
  return true;
}
