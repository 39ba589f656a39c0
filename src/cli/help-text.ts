/** `--help` text wrapped to a terminal's width: a long line continues under its description column. */
import type { SettingHelpRow } from "../config/index.ts";

/** The width --help is wrapped at. */
export const HELP_WIDTH = 100;

/** Wraps every line of `text` longer than `width` at spaces; continuation lines are indented to the line's last column. */
export function wrapHelp(text: string, width = HELP_WIDTH): string {
  return text
    .split("\n")
    .flatMap((line) => wrapLine(line, width))
    .join("\n");
}

function wrapLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  // The description column starts after the last run of two or more spaces (command or flag columns before it).
  const columns = [...line.matchAll(/\S {2,}(?=\S)/g)].map((match) => match.index + match[0].length);
  const leading = line.length - line.trimStart().length;
  const indent = columns.filter((column) => column <= width / 2 + 20).at(-1) ?? leading;
  const lines: string[] = [];
  let current = line.slice(0, indent);
  let empty = true;
  for (const word of line.slice(indent).split(" ").filter((w) => w !== "")) {
    if (!empty && current.length + 1 + word.length > width) {
      lines.push(current);
      current = " ".repeat(indent);
      empty = true;
    }
    current += `${empty ? "" : " "}${word}`;
    empty = false;
  }
  lines.push(current);
  return lines;
}

/** The settings for --help: "--port PORT, RP_SERVER_BIND_PORT", then what it does, wrapped and indented below. */
export function settingsText(rows: readonly SettingHelpRow[], width = HELP_WIDTH): string {
  return rows
    .map(({ flag, env, text }) => [`  ${flag ? `${flag}, ` : ""}${env}`, ...wrapLine(`        ${text}`, width)].join("\n"))
    .join("\n");
}
