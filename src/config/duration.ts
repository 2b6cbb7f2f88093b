// Durations in config and labels ("90s", "5m", "6h", "7d") as whole milliseconds, with a maximum:
// every duration that feeds a timer must stay below Node's limit, or the timer fires at once.

/** Node's setTimeout limit (2^31-1 ms, 24.8 days): a longer delay fires after 1 ms instead. */
export const TIMER_MAX_MS = 2 ** 31 - 1;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

export const DURATION_EXAMPLES = '"90s", "5m", "6h" or "1d"';

/**
 * Milliseconds, or why the text is not a duration of at most `maxMs`: a number and a unit, more
 * than zero, in whole milliseconds (0.4ms would round to nothing), at most the maximum.
 */
export function parseDuration(text: string, maxMs = TIMER_MAX_MS): number | { problem: string } {
  const match = PATTERN.exec(text);
  if (!match) return { problem: `expected a duration such as ${DURATION_EXAMPLES}` };
  const ms = Number(match[1]) * (UNITS[match[2] as string] as number);
  if (!(ms > 0)) return { problem: "expected a duration above zero" };
  if (ms < 1) return { problem: `expected at least 1ms (${text} is less than a millisecond)` };
  // 1.001s is 1001ms, not 1000.9999999999999: round away float noise, refuse real fractions.
  const whole = Math.round(ms);
  if (Math.abs(ms - whole) > 1e-6 * Math.max(1, ms)) {
    return { problem: `expected whole milliseconds (${text} is ${ms}ms)` };
  }
  if (whole > maxMs) return { problem: `expected at most ${maxText(maxMs)}` };
  return whole;
}

function maxText(maxMs: number): string {
  if (maxMs !== TIMER_MAX_MS) return formatDuration(maxMs);
  return `${TIMER_MAX_MS}ms (about 24.8 days, the longest timer Node.js can set)`;
}

/** The largest exact form: 2073600000 → "24d", 90000 → "90s", 2147483647 → "2147483647ms". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
