// Short texts from a child's output, for messages.

/** The last `count` non-empty lines of a command's stderr, joined, or a placeholder when it said nothing. */
export function lastLines(text: string, count = 3): string {
  return text.trim().split("\n").slice(-count).join(" | ").slice(0, 2000) || "(no output on stderr)";
}
