import { describe, expect, it } from "vitest";
import { renderPage, type PageData } from "../../../src/report/page.js";
import { evaluateStatus, type StatusReport } from "../../../src/report/status.js";
import type { Snapshot } from "../../../src/restic/repository.js";

const NOW = new Date("2026-11-21T13:40:00Z");
const thresholds = { warnAfterMs: 25 * 3_600_000, criticalAfterMs: 50 * 3_600_000, verifyMaxAgeMs: 8 * 86_400_000, offsiteMaxLagMs: 50 * 3_600_000, walMaxLagMs: 300_000, walWarnRetainedBytes: 2 ** 31 };
const snap = (target: string, time: string, kind = "postgres", database = "app"): Snapshot => ({
  id: `${target}-${time}`,
  time: new Date(time),
  rawTime: time,
  paths: ["/x"],
  hostname: "backup-agent",
  tags: { kind, target, database },
  totalBytes: 2048,
});

function report(): StatusReport {
  return evaluateStatus(
    {
      snapshots: [snap("db", "2026-11-21T13:00:00Z"), snap("<img src=x onerror=alert(1)>", "2026-11-19T01:00:00Z")],
      current: [
        { kind: "postgres", name: "db" },
        { kind: "postgres", name: "<img src=x onerror=alert(1)>" },
      ],
      expected: [],
      unprotected: ["shop_<script>alert(2)</script>"],
      verify: undefined,
      offsite: { newest: new Date("2026-11-21T03:00:00Z") },
    },
    thresholds,
    NOW,
  );
}

function data(extra: Partial<PageData> = {}): PageData {
  return {
    status: report(),
    schedule: [{ name: "line 2: 0 * * * * postgres", next: "2026-11-21T14:00:00.000Z" }],
    running: [],
    recent: [],
    repositories: { local: "/repository", offsite: "s3:https://s3.example.com/bucket" },
    host: "backup-agent",
    version: "1.2.3",
    now: NOW,
    ...extra,
  };
}

describe("the status page", () => {
  it("shows the level, each target with its newest backup, age and level, and the unprotected volume", () => {
    const page = renderPage(data());
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<span id="level" class="level level-CRITICAL" data-level="CRITICAL" data-generated-at="2026-11-21T13:40:00.000Z">CRITICAL</span>');
    expect(page).toContain('<tr data-target="postgres/db" data-level="GOOD">');
    expect(page).toContain('<time datetime="2026-11-21T13:00:00.000Z">2026-11-21 13:00:00Z</time>');
    expect(page).toContain('data-age-seconds="2400">40m</td>');
    expect(page).toContain("no backup for 60.7 h (critical after 50 h)");
    expect(page).toMatch(/<li class="bad" data-volume="shop_&lt;script&gt;alert\(2\)&lt;\/script&gt;">/);
    expect(page).toContain("10h behind");
    expect(page).toContain("<code>line 2: 0 * * * * postgres</code>");
  });

  it("escapes every name, so a container name cannot inject markup, and carries no script at all", () => {
    const page = renderPage(data());
    expect(page).not.toContain("<img");
    expect(page).not.toContain("<script");
    expect(page).toContain("postgres/&lt;img src=x onerror=alert(1)&gt;");
    expect(page).toContain('data-target="postgres/&lt;img src=x onerror=alert(1)&gt;"');
  });

  it("refreshes itself twice a minute, and every 5 s while a job runs", () => {
    expect(renderPage(data())).toContain('<meta http-equiv="refresh" content="30">');
    const running = renderPage(
      data({
        running: [
          {
            runId: "r1",
            job: "backup",
            trigger: "schedule",
            startedAt: "2026-11-21T13:39:00.000Z",
            elapsedSeconds: 60,
            bytes: 3 * 1048576,
            stored: 1,
            items: [{ kind: "volume", target: "uploads", item: "uploads", bytes: 1048576, totalBytes: 4 * 1048576, elapsedSeconds: 2, rate: 524288 }],
          },
        ],
      }),
    );
    expect(running).toContain('<meta http-equiv="refresh" content="5">');
    expect(running).toContain("<strong>backup</strong> (schedule)");
    expect(running).toContain('data-bytes="1048576">1.0 MiB of 4.0 MiB <progress max="4194304" value="1048576"></progress>');
    expect(running).toContain("512.0 KiB/s");
  });

  it("lists the last runs with their outcome and the tail of their log, redacted", () => {
    const page = renderPage(
      data({
        recent: [
          {
            runId: "r2",
            job: "postgres",
            trigger: "schedule",
            startedAt: "2026-11-21T13:00:00.000Z",
            finishedAt: "2026-11-21T13:00:04.000Z",
            durationSeconds: 4,
            result: "failure",
            error: "1 of 1 PostgreSQL target(s) failed",
            bytes: 0,
            tail: "2026-11-21T13:00:04.000Z ERROR restic said password hunter2-secret <b>",
          },
        ],
      }),
      (text) => text.replaceAll("hunter2-secret", "[redacted]"),
    );
    expect(page).toContain('<tr data-run-id="r2" data-result="failure">');
    expect(page).toContain('<span class="result-failure">failure</span>: 1 of 1 PostgreSQL target(s) failed');
    expect(page).toContain("<details><summary>log</summary><pre>2026-11-21T13:00:04.000Z ERROR restic said password [redacted] &lt;b&gt;</pre></details>");
    expect(page).not.toContain("hunter2");
  });

  it("still renders when the status report could not be made", () => {
    const page = renderPage(data({ status: { error: "cannot read the repository: <locked>" } }));
    expect(page).toContain('data-level="UNKNOWN"');
    expect(page).toContain("cannot read the repository: &lt;locked&gt;");
  });
});
