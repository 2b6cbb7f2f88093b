// S3-compatible stores' answers to a wrong key (AWS, MinIO, R2 and Ceph use the same error codes and
// texts). restic retries them for 15 minutes as if the store were down; they never get better.
const REFUSED = [
  /\bInvalidAccessKeyId\b/,
  /\bSignatureDoesNotMatch\b/,
  /Access Key Id you provided does not exist/i,
  /request signature we calculated does not match/i,
];

/** The refusal in one line of restic's stderr (without restic's retry preamble), or undefined. */
export function refusedCredentials(line: string): string | undefined {
  if (!REFUSED.some((r) => r.test(line))) return undefined;
  return line.replace(/^.*?returned error, retrying after [^:]*: /, "").trim().slice(0, 300);
}
