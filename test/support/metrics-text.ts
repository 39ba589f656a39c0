/** Reading the Prometheus text format in tests: one sample's value by name and labels. */

/** Parsed samples: `name{a="1",b="2"}` → value (labels sorted by name, so the order prom-client writes them in does not matter). */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`Cannot parse metrics line: ${JSON.stringify(line)}`);
    samples.set(sampleKey(match[1]!, labelsOf(match[2] ?? "")), Number(match[3]));
  }
  return samples;
}

/** The key parseMetrics uses for `name` with `labels`. */
export function sampleKey(name: string, labels: Readonly<Record<string, string>> = {}): string {
  const pairs = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1));
  return pairs.length === 0 ? name : `${name}{${pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`;
}

/** One sample's value, or undefined when the series does not exist. */
export function sample(text: string | Map<string, number>, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  return (typeof text === "string" ? parseMetrics(text) : text).get(sampleKey(name, labels));
}

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[match[1]!] = JSON.parse(`"${match[2]!}"`) as string;
  return labels;
}
