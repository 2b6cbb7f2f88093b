// Every secret value of a configuration, and a function that blanks them out of any text that might
// quote one (an error from a child process, a log tail): the last line of defence of the status page.
import type { Config } from "./load.js";
import type { Secret } from "./secret.js";

/** The secrets' values: passwords, keys, check URLs, and the password inside a repository URL. */
export function secretValues(config: Config): string[] {
  const secrets: (Secret | undefined)[] = [
    config.restic.password,
    config.offsite?.password,
    config.meilisearch.apiKey,
    ...Object.values(config.jobs).map((j) => j.healthcheck),
    ...Object.entries(config.offsite?.credentials ?? {})
      .filter(([name]) => name !== "AWS_DEFAULT_REGION")
      .map(([, s]) => s),
  ];
  const values = secrets.flatMap((s) => (s ? [s.reveal()] : []));
  // A repository is shown (redacted), so only the password in its URL is a secret.
  for (const repository of [config.restic.repository, config.offsite?.repository]) {
    const password = /\/\/[^:/@]+:([^@/]+)@/.exec(repository?.reveal() ?? "")?.[1];
    if (password) values.push(password);
  }
  return values;
}

/** Replaces each value (longest first, so one inside another goes whole) with [redacted]. */
export function redactor(values: readonly string[]): (text: string) => string {
  const sorted = [...new Set(values.filter((v) => v.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => sorted.reduce((out, value) => out.split(value).join("[redacted]"), text);
}
