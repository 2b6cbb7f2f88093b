// The one reader of Prometheus text the tests use: the value of a series, from /metrics or a scrape.

/** The value of the series `name` whose labels include all of `labels`, or undefined. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(match[3]);
  }
  return undefined;
}

/** /metrics of an agent at `base` (http://host:port). */
export async function scrape(base: string): Promise<string> {
  const response = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (response.status !== 200) throw new Error(`${base}/metrics answered ${response.status}`);
  return response.text();
}
