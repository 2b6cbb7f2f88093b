// The one redaction: known secrets in every form they may be printed in, and rules for what may be one.
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { forgetSecrets, looksSecretName, redact, redactWrites, registerSecret, registerUrlCredentials } from "../../../src/config/redact.js";
import { isSecretVariable, VARIABLES } from "../../../src/config/schema.js";
import { Secret } from "../../../src/config/secret.js";

afterEach(forgetSecrets);

describe("redact", () => {
  it("hides a registered secret as written, JSON-escaped and URL-encoded, and each line of a multi-line one", () => {
    registerSecret('pa"ss/w0rd&more');
    registerSecret("-----BEGIN KEY-----\nline-one-of-the-key\nline-two-of-the-key\n-----END KEY-----");
    const text = [
      'raw pa"ss/w0rd&more',
      JSON.stringify({ msg: 'json pa"ss/w0rd&more' }),
      `url https://h/?x=${encodeURIComponent('pa"ss/w0rd&more')}`,
      "one line: line-two-of-the-key",
    ].join("\n");
    const out = redact(text);
    expect(out).not.toMatch(/w0rd|line-two-of-the-key/);
    expect(out.match(/\[redacted\]/g)).toHaveLength(4);
  });

  it("leaves values it cannot tell from ordinary output alone (short ones, numbers, switch words), and a Secret registers itself", () => {
    for (const value of ["abcde", "123456", "1.5e10", "enabled", "disabled", "true"]) registerSecret(value);
    expect(redact('abcde 123456 {"on":true,"state":"enabled"}')).toBe('abcde 123456 {"on":true,"state":"enabled"}');
    new Secret("s3cret-from-a-secret");
    expect(redact("it was s3cret-from-a-secret")).toBe("it was [redacted]");
  });

  it("redacts the password of a URL, also an empty user's, one holding / or @, keeping the user", () => {
    expect(redact("rest:https://backup:pw1@host/repo")).toBe("rest:https://backup:[redacted]@host/repo");
    expect(redact("rest:https://:pw2@host/")).toBe("rest:https://:[redacted]@host/");
    expect(redact('"s3:https://user:pa/ss@host/bucket"')).toBe('"s3:https://user:[redacted]@host/bucket"');
    expect(redact("http://user:p@ss@host:9180/status")).toBe("http://user:[redacted]@host:9180/status");
    expect(redact("https://ghp_token1234@github.com/x")).toBe("https://[redacted]@github.com/x");
    expect(redact("rest:https://host:8000/repo and /srv/restic")).toBe("rest:https://host:8000/repo and /srv/restic");
  });

  it("registers URL passwords so they are hidden wherever else they appear, raw or decoded", () => {
    registerUrlCredentials("rest:https://u:p%40ssw0rd@host/");
    expect(redact("restic said p@ssw0rd and p%40ssw0rd")).toBe("restic said [redacted] and [redacted]");
  });

  it("redacts assignments, JSON fields and tokens whose names look secret, and nothing else", () => {
    expect(redact("RESTIC_PASSWORD=hunter2 BACKUP_HOST=agent")).toBe("RESTIC_PASSWORD=[redacted] BACKUP_HOST=agent");
    expect(redact("https://h/x?access_token=abc&page=2")).toBe("https://h/x?access_token=[redacted]&page=2");
    expect(redact('{"apiKey":"k-123","target":"db"}')).toBe('{"apiKey":"[redacted]","target":"db"}');
    expect(redact('job{key="v1"} 1')).toBe('job{key="[redacted]"} 1');
    expect(redact("Authorization: Bearer abcdefgh12345678")).toBe("Authorization: Bearer [redacted]");
    expect(redact("RESTIC_PASSWORD_FILE=/run/secrets/pw")).toBe("RESTIC_PASSWORD_FILE=/run/secrets/pw");
    expect(redact("label x.password=<redacted, 8 characters>: unknown")).toBe("label x.password=<redacted, 8 characters>: unknown");
    expect(redact('does not take "--password=hunter22"')).toBe('does not take "--password=[redacted]"');
  });

  it("guards a stream: every string or buffer written to it is redacted", () => {
    registerSecret("guarded-secret-1");
    let text = "";
    const stream = new Writable({
      write(chunk, _e, done) {
        text += String(chunk);
        done();
      },
    });
    redactWrites(stream);
    stream.write("a guarded-secret-1 b\n");
    stream.write(Buffer.from("c guarded-secret-1 d\n"));
    expect(text).toBe("a [redacted] b\nc [redacted] d\n");
  });
});

describe("looksSecretName", () => {
  it("says yes for every secret variable and no for every other known variable", () => {
    const names = Object.keys(VARIABLES);
    expect(names.filter((n) => isSecretVariable(n) && !looksSecretName(n))).toEqual([]);
    expect(names.filter((n) => !isSecretVariable(n) && looksSecretName(n))).toEqual(["BACKUP_HC_BASE_URL"]);
  });

  it("says yes for misspelt and unknown secret names", () => {
    for (const name of ["BACKUP_OFFSITE_PASWORD", "BACKUP_PASSWROD", "BACKUP_MEILI_APIKEY", "BACKUP_HC_BAKUP_URL", "BACKUP_SECERT", "BACKUP_TOKNE", "AWS_SECRET_ACCESS_KEY", "masterKey", "PGPASSWORD", "backup-agent.postgres.password"]) {
      expect(looksSecretName(name), name).toBe(true);
    }
    for (const name of ["BACKUP_KEEP_DAILY", "BACKUP_TIMEZOME", "PATH", "HOME", "BACKUP_CREATE", "backup-agent.exec.command"]) {
      expect(looksSecretName(name), name).toBe(false);
    }
  });
});
