// S3-compatible stores' answers that retrying cannot change (AWS, MinIO, R2 and Ceph use the same
// error codes and texts), which restic retries for 15 minutes as if the store were down: a refused
// key, and a bucket that does not exist (no repository there yet: `restic init` creates the bucket).
const REFUSED = [
  /\bInvalidAccessKeyId\b/,
  /\bSignatureDoesNotMatch\b/,
  /Access Key Id you provided does not exist/i,
  /request signature we calculated does not match/i,
];
const NO_BUCKET = [/\bNoSuchBucket\b/, /The specified bucket does not exist/i];

export interface Hopeless {
  kind: "credentials" | "no-bucket";
  /** The store's answer, without restic's retry preamble. */
  text: string;
}

/** What in one line of restic's stderr says that retrying is hopeless, or undefined. */
export function hopelessBackendError(line: string): Hopeless | undefined {
  const kind = REFUSED.some((r) => r.test(line)) ? "credentials" : NO_BUCKET.some((r) => r.test(line)) ? "no-bucket" : undefined;
  if (!kind) return undefined;
  return { kind, text: line.replace(/^.*?returned error, retrying after [^:]*: /, "").trim().slice(0, 300) };
}
