// Medians, spreads, alternating rounds and formatting: how every comparison of the bench is run and summed up.

/** { median, min, max, n } of a list of numbers. */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, min: NaN, max: NaN, n };
  const mid = Math.floor(n / 2);
  const median = n % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[n - 1], n };
}

/**
 * Runs every contender once per round, the order reversed every other round (A-B, B-A, …; with three,
 * A-B-C, C-B-A), so drift of the machine (page cache, another tenant, thermal) hits each one alike.
 * `contenders`: [{ name, run(round) → result with .seconds, describe?(result) → text }].
 * Prints one line per run; returns Map name → [result…].
 */
export async function alternate(title, contenders, rounds) {
  const results = new Map(contenders.map((c) => [c.name, []]));
  const width = Math.max(...contenders.map((c) => c.name.length));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const contender of order) {
      const result = await contender.run(round);
      results.get(contender.name).push(result);
      const more = contender.describe ? `  ${contender.describe(result)}` : "";
      console.log(`  ${title} ${round + 1}/${rounds}  ${contender.name.padEnd(width)}  ${seconds(result.seconds)}${more}`);
    }
  }
  return results;
}

/** The summary of one field over a contender's results. */
export const summaryOf = (results, field = "seconds") => summarize(results.map((r) => r[field]).filter((v) => Number.isFinite(v)));

export const seconds = (s) => (Number.isFinite(s) ? `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s` : "n/a");
/** Decimal megabytes, as du and the README count them. */
export const mb = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1)} MB` : "n/a");
export const rate = (bytes, s) => `${(bytes / 1e6 / s).toFixed(1)} MB/s`;
export const pct = (part, whole) => `${((part / whole) * 100).toFixed(2)} %`;
export const ratio = (x) => (Number.isFinite(x) ? x.toFixed(2) : "n/a");

/** "12.3 s (11.9–12.8)": the median and the spread of the rounds. */
export function spread(summary, format = seconds) {
  if (summary.n === 0) return "n/a";
  if (summary.n === 1) return `${format(summary.median)} (1 run)`;
  return `${format(summary.median)} (${format(summary.min).replace(/ \w+$/, "")}–${format(summary.max)})`;
}

/** The Markdown table printed at the end, filled by every section as it finishes. */
export class ResultTable {
  rows = [];

  add(measure, result) {
    this.rows.push([measure, result]);
  }

  section(title) {
    this.rows.push([`**${title}**`, ""]);
  }

  markdown() {
    const escape = (text) => String(text).replaceAll("|", "\\|");
    return ["| measure | result |", "|---|---|", ...this.rows.map(([m, r]) => `| ${escape(m)} | ${escape(r)} |`)].join("\n");
  }
}
