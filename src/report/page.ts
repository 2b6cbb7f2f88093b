// The status page at `/`: the status report, the schedule and the runs as one server-rendered HTML
// page. Pure (data in, text out), no script, no external asset; refreshes itself with a meta tag.
// Every value is escaped (names come from Docker labels) and passed through the redaction.
import { formatBytes } from "../restic/progress.js";
import { Html, htmlTag, type HtmlTag } from "./html.js";
import { PAGE_STYLE } from "./page-style.js";
import type { FinishedRun, LiveRun } from "./run-history.js";
import { formatAge, formatTime, type StatusReport } from "./status.js";

export interface PageData {
  /** The status report, or why it could not be made. */
  status: StatusReport | { error: string };
  schedule: readonly { name: string; next: string | undefined }[];
  running: readonly LiveRun[];
  recent: readonly FinishedRun[];
  repositories: { local: string; offsite: string | undefined };
  host: string;
  version: string;
  now: Date;
}

/** Seconds between refreshes: often while something runs, else twice a minute. */
export const refreshSeconds = (data: Pick<PageData, "running">) => (data.running.length ? 5 : 30);

const STYLE = new Html(PAGE_STYLE);
const secondsText = (s: number) => (s < 60 ? `${s.toFixed(1)} s` : formatAge(s));
const rate = (bytes: number, seconds: number) => (seconds > 0 ? `${formatBytes(bytes / seconds)}/s` : "-");

export function renderPage(data: PageData, redact: (text: string) => string = (t) => t): string {
  const h = htmlTag(redact);
  const report = "error" in data.status ? undefined : data.status;
  const level = report?.level ?? "UNKNOWN";
  return `<!doctype html>\n${h`<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${refreshSeconds(data)}">
<title>${level} · backup-agent · ${data.host}</title>
<style>${STYLE}</style></head><body>
<header><h1>backup-agent</h1>
<span id="level" class="level level-${level}" data-level="${level}" data-generated-at="${report?.generatedAt ?? ""}">${level}</span>
<span class="muted">host ${data.host} · ${formatTime(data.now.toISOString())} · version ${data.version} · read-only, refreshes every ${refreshSeconds(data)} s</span></header>
${running(h, data.running)}
${report ? reportSections(h, report, data) : h`<section id="status-error"><h2>Status</h2><p class="bad">${"error" in data.status ? data.status.error : ""}</p></section>`}
${schedule(h, data)}
${recent(h, data.recent)}
</body></html>
`}`;
}

function reportSections(h: HtmlTag, r: StatusReport, data: PageData): Html {
  return h`<section id="problems"><h2>Problems</h2>${
    r.problems.length ? h`<ul class="problems">${r.problems.map((p) => h`<li class="${p.level}">${p.level}: ${p.message}</li>`)}</ul>` : h`<p class="result-success">None: every target is backed up, verified and copied offsite in time.</p>`
  }</section>
<section id="targets"><h2>Targets</h2>${targets(h, r)}</section>
<section id="unprotected"><h2>Unprotected volumes</h2>${
    r.unprotectedVolumes.length
      ? h`<p class="bad">No target backs these up and no label excludes them:</p><ul>${r.unprotectedVolumes.map((v) => h`<li class="bad" data-volume="${v}">${v}</li>`)}</ul>`
      : h`<p class="muted">None.</p>`
  }${r.missing.length ? h`<p class="bad">Missing targets: ${r.missing.join(", ")}</p>` : ""}</section>
<section id="repositories"><h2>Verify and offsite</h2><ul>
<li id="verify">Last verify: ${r.verify ? h`<span class="${r.verify.ok ? "result-success" : "bad"}">${r.verify.ok ? "passed" : "FAILED"}</span> at ${formatTime(r.verify.lastRun)}${r.verify.failed.length ? ` (${r.verify.failed.join(", ")})` : ""}` : "never"}</li>
<li>Repository: <code>${data.repositories.local}</code></li>
<li id="offsite" data-lag-seconds="${r.offsite?.lagSeconds ?? ""}">Offsite: ${offsite(h, r, data)}</li></ul></section>`;
}

function targets(h: HtmlTag, r: StatusReport): Html {
  if (!r.targets.length) return h`<p class="muted">No target found, expected or in the repository.</p>`;
  return h`<table><thead><tr><th>Target</th><th>Newest backup</th><th>Age</th><th>Size</th><th>Verify</th><th>Level</th></tr></thead><tbody>${r.targets.map(
    (t) => h`<tr data-target="${t.kind}/${t.target}" data-level="${t.level}">
<td class="name" data-label="Target">${t.kind}/${t.target}${t.source === "history" ? h` <span class="muted">(not found now)</span>` : ""}</td>
<td class="num" data-label="Newest backup">${t.lastBackup ? h`<time datetime="${t.lastBackup}">${formatTime(t.lastBackup)}</time>` : h`<span class="bad">never</span>`}</td>
<td class="num age" data-label="Age" data-age-seconds="${t.ageSeconds ?? ""}">${formatAge(t.ageSeconds)}</td>
<td class="num" data-label="Size">${t.lastBackup ? formatBytes(t.sizeBytes) : "-"}</td>
<td data-label="Verify" class="${t.verify === "failed" ? "bad" : ""}">${t.verify ?? "-"}</td>
<td data-label="Level"><span class="level level-${t.level}">${t.level}</span>${t.reasons.length ? h`<ul class="reasons">${t.reasons.map((x) => h`<li>${x}</li>`)}</ul>` : ""}</td></tr>`,
  )}</tbody></table>`;
}

function offsite(h: HtmlTag, r: StatusReport, data: PageData): Html | string {
  if (!r.offsite) return "not configured";
  const where = h`<code>${data.repositories.offsite ?? ""}</code>`;
  if (r.offsite.error) return h`${where} <span class="bad">unreadable: ${r.offsite.error}</span>`;
  return h`${where}, newest ${r.offsite.newest ? formatTime(r.offsite.newest) : "none"}, ${formatAge(r.offsite.lagSeconds)} behind`;
}

function running(h: HtmlTag, runs: readonly LiveRun[]): Html {
  const body = runs.length
    ? runs.map(
        (run) => h`<div class="run" data-run-id="${run.runId}" data-job="${run.job}"><p><strong>${run.job}</strong> (${run.trigger}) since ${formatTime(run.startedAt)}, ${secondsText(run.elapsedSeconds)}: ${formatBytes(run.bytes)} in ${run.stored} item(s) stored, ${rate(run.bytes, run.elapsedSeconds)}</p>${
          run.items.length
            ? h`<table><thead><tr><th>Target</th><th>Item</th><th>Streamed</th><th>Rate</th><th>For</th></tr></thead><tbody>${run.items.map(
                (i) => h`<tr data-item="${i.kind}/${i.target}/${i.item}"><td data-label="Target">${i.kind}/${i.target}</td><td data-label="Item"><code>${i.item}</code></td>
<td class="num" data-label="Streamed" data-bytes="${i.bytes}">${formatBytes(i.bytes)}${i.totalBytes ? h` of ${formatBytes(i.totalBytes)} <progress max="${i.totalBytes}" value="${Math.min(i.bytes, i.totalBytes)}"></progress>` : ""}</td>
<td class="num" data-label="Rate">${rate(i.bytes, i.elapsedSeconds)}</td><td class="num" data-label="For">${secondsText(i.elapsedSeconds)}</td></tr>`,
              )}</tbody></table>`
            : h`<p class="muted">Nothing streaming at this moment.</p>`
        }</div>`,
      )
    : h`<p class="muted">No job is running.</p>`;
  return h`<section id="running"><h2>Running now</h2>${body}</section>`;
}

function schedule(h: HtmlTag, data: PageData): Html {
  const rows = [...data.schedule].sort((a, b) => (a.next ?? "~").localeCompare(b.next ?? "~"));
  return h`<section id="schedule"><h2>Next scheduled runs</h2>${
    rows.length
      ? h`<table><thead><tr><th>When</th><th>In</th><th>Crontab line</th></tr></thead><tbody>${rows.map(
          (e) => h`<tr><td class="num" data-label="When">${e.next ? formatTime(e.next) : "never"}</td><td class="num" data-label="In">${e.next ? formatAge((Date.parse(e.next) - data.now.getTime()) / 1000) : "-"}</td><td data-label="Line"><code>${e.name}</code></td></tr>`,
        )}</tbody></table>`
      : h`<p class="muted">No schedule (this process is not the daemon).</p>`
  }</section>`;
}

function recent(h: HtmlTag, runs: readonly FinishedRun[]): Html {
  return h`<section id="runs"><h2>Last runs</h2>${
    runs.length
      ? h`<table><thead><tr><th>Job</th><th>Started</th><th>Took</th><th>Result</th></tr></thead><tbody>${runs.map(
          (r) => h`<tr data-run-id="${r.runId}" data-result="${r.result}"><td data-label="Job">${r.job} <span class="muted">(${r.trigger})</span></td>
<td class="num" data-label="Started">${formatTime(r.startedAt)}</td><td class="num" data-label="Took">${secondsText(r.durationSeconds)}</td>
<td data-label="Result"><span class="result-${r.result}">${r.result}</span>${r.error ? h`: ${r.error}` : ""}${r.tail ? h`<details><summary>log</summary><pre>${r.tail}</pre></details>` : ""}</td></tr>`,
        )}</tbody></table>`
      : h`<p class="muted">No run since the daemon started (history is kept in memory for 30 days).</p>`
  }</section>`;
}
