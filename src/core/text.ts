// Short texts from a child's output, for messages.

/** The last `count` non-empty lines of a command's stderr, joined, or a placeholder when it said nothing. */
export function lastLines(text: string, count = 3): string {
  return text.trim().split("\n").slice(-count).join(" | ").slice(0, 2000) || "(no output on stderr)";
}

/** What an exec's exit code says beyond its number: 126 and 127 mean the command never ran. */
export function exitNote(code: number): string {
  if (code === 127) return " (command not found in the container)";
  if (code === 126) return " (the command could not be run in the container: not installed, or not executable)";
  return "";
}
