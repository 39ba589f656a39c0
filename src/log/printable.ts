/**
 * Text from peers (a certificate's CN, a handler's message) made safe for a
 * terminal: control characters (C0, DEL, C1) and the Unicode bidirectional
 * overrides are written as escapes, so that a CN such as "a\x1b[2J" or
 * "evil\nINFO fake line" prints as what it is instead of acting on the screen.
 */

// C0 but tab (a newline too is escaped; printableLines keeps the line breaks of multi-line output), DEL, C1, line/paragraph separators, bidi embeddings and isolates.
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_TEST = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** `text` with every unsafe character escaped (`\x1b`, `\n`, `\u202e`); everything else as it is. */
export function printable(text: string): string {
  if (!UNSAFE_TEST.test(text)) return text;
  return text.replace(UNSAFE, (char) => {
    if (char === "\n") return "\\n";
    if (char === "\r") return "\\r";
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Like printable, line by line: the newlines between lines stay (multi-line output), nothing else does. */
export function printableLines(text: string): string {
  return text.split("\n").map(printable).join("\n");
}

// In JSON, C0 is escaped by JSON.stringify already; these are not, and a terminal showing the raw log would obey them.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** A JSON text with the characters JSON.stringify leaves raw but a terminal obeys written as \u escapes (still the same JSON). */
export function printableJson(json: string): string {
  return json.replace(JSON_UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
