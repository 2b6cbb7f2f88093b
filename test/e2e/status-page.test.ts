// The status page in a real browser (headless Chromium): a daemon with real backups (PostgreSQL in
// containers, a restic repository) on its schedule, read as an operator reads it, on a desktop and on a
// phone, with JavaScript off and on; what it shows is what `status --json` says, and no secret is in it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { formatAge, type StatusReport } from "../../src/report/status.js";
import { artifact, launchChromium } from "./support/browser.js";
import { AgentProcess, baseEnv, freePort, runAgent } from "./support/daemon.js";
import { removeTestContainers, startPostgres, uniqueName } from "./support/docker.js";
import { newRepo } from "./support/restic.js";
import { createProjectVolume, removeTestVolumes } from "./support/volumes.js";

let browser: Browser;
const agents: AgentProcess[] = [];
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  for (const agent of agents.splice(0)) await agent.stop();
  await removeTestContainers();
  await removeTestVolumes();
});

interface Row {
  target: string;
  level: string;
  lastBackup: string | null;
  age: string;
}

async function rows(page: Page): Promise<Row[]> {
  return page.locator("#targets tr[data-target]").evaluateAll((trs) =>
    trs.map((tr) => ({
      target: tr.getAttribute("data-target") ?? "",
      level: tr.getAttribute("data-level") ?? "",
      lastBackup: tr.querySelector("time")?.getAttribute("datetime") ?? null,
      age: tr.querySelector("td.age")?.textContent ?? "",
    })),
  );
}

describe("the status page", () => {
  it("shows the daemon's real backups as status --json reports them, a failing target and an unprotected volume, in a browser", async () => {
    const project = uniqueName("e2e-page");
    const db = await startPostgres({ major: 17, project, service: "db", labels: { "backup-agent.postgres.databases": "appdb" } });
    // Big enough that a dump streams for a moment, so the page can be caught showing it.
    await db.psql("CREATE TABLE events AS SELECT g AS id, md5(g::text) || md5((g + 1)::text) AS body FROM generate_series(1, 600000) g;", "appdb");
    // A target that fails every backup (its database does not exist), named to try HTML injection.
    await startPostgres({ major: 15, project, service: "<i>broken</i>", labels: { "backup-agent.postgres.databases": "nosuchdb" } });
    const { name: volume } = await createProjectVolume(project, "uploads", undefined);
    const repo = await newRepo("e2e-page");
    const hcSecret = `hc-${Math.random().toString(36).slice(2)}`;
    const meiliKey = `meili-${Math.random().toString(36).slice(2)}`;
    const dir = mkdtempSync(join(tmpdir(), "e2e-page-"));
    writeFileSync(join(dir, "crontab"), "*/4 * * * * * postgres\n0 6 * * 0 verify\n");
    const port = await freePort();
    const env = baseEnv({
      ...repo.env,
      BACKUP_COMPOSE_PROJECT: project,
      BACKUP_VOLUMES_ROOT: join(dir, "volumes"),
      BACKUP_HC_POSTGRES_URL: `http://127.0.0.1:9/ping/${hcSecret}`,
      BACKUP_HC_RETRIES: "0",
      BACKUP_HC_TIMEOUT: "1s",
      BACKUP_MEILI_API_KEY: meiliKey,
      BACKUP_CRONTAB: join(dir, "crontab"),
    });
    const first = await runAgent(["run", "postgres"], env);
    expect(first.exitCode, first.output).toBe(1);
    const daemon = new AgentProcess(["daemon"], env, port);
    agents.push(daemon);
    const url = `http://127.0.0.1:${port}/`;
    const html = async () => (await fetch(url)).text();

    // The scheduled runs: one caught while its dump streams, then finished with its outcome and log.
    const live = await vi.waitFor(
      async () => {
        const text = await html();
        expect(text).toMatch(/<tr data-item="postgres\/db\/appdb\.dump">[^]*?data-bytes="[1-9]\d*"/);
        return text;
      },
      { timeout: 90_000, interval: 100 },
    );
    expect(live).toContain('<div class="run"');
    await vi.waitFor(async () => expect(await html()).toContain('data-result="failure"'), { timeout: 60_000, interval: 500 });

    const noScript = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await noScript.newPage();
    // The page and `status --json` agree when both come from the same report (it is reused for 15 s).
    const { report, seen } = await vi.waitFor(
      async () => {
        await page.goto(url);
        const status = await new AgentProcess(["status", "--json"], { ...env, BACKUP_HTTP_LISTEN: `127.0.0.1:${port}` }).process;
        const parsed = JSON.parse(String(status.stdout)) as StatusReport;
        expect(await page.locator("#level").getAttribute("data-generated-at")).toBe(parsed.generatedAt);
        return { report: parsed, seen: await rows(page) };
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(await page.locator("#level").textContent()).toBe(report.level);
    expect(report.level).toBe("WARNING");
    expect(seen.map((r) => r.target)).toEqual(report.targets.map((t) => `${t.kind}/${t.target}`));
    for (const t of report.targets) {
      const row = seen.find((r) => r.target === `${t.kind}/${t.target}`) as Row;
      expect(row.level).toBe(t.level);
      expect(row.lastBackup).toBe(t.lastBackup ?? null);
      expect(row.age).toBe(formatAge(t.ageSeconds));
    }
    expect(report.targets.find((t) => t.target === "db")?.level).toBe("GOOD");

    // The failing target, shown as such and as text (its name's markup is not markup).
    const broken = page.locator('#targets tr[data-target="postgres/<i>broken</i>"]');
    expect(await broken.getAttribute("data-level")).toBe("WARNING");
    expect(await broken.innerText()).toContain("postgres/<i>broken</i>");
    expect(await broken.innerText()).toContain("found but never backed up");
    expect(await broken.locator("i").count()).toBe(0);
    const failed = page.locator('#runs tr[data-result="failure"]').first();
    expect(await failed.innerText()).toContain("failure: 1 of 2 PostgreSQL target(s) failed");
    await failed.locator("summary").click();
    expect(await failed.locator("pre").innerText()).toContain('postgres target "<i>broken</i>"');
    // The unprotected volume.
    const unprotected = page.locator(`#unprotected li[data-volume="${volume}"]`);
    expect(await unprotected.isVisible()).toBe(true);
    expect(await page.locator("#problems").innerText()).toContain(`volume ${volume} is unprotected`);
    expect(await page.locator("#schedule").innerText()).toContain("verify");
    await page.screenshot({ path: artifact("status-page-desktop.png"), fullPage: true });
    await noScript.close();

    // With JavaScript on, the same page: it has no script, and on a phone nothing is wider than the screen.
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 2 });
    const mobile = await phone.newPage();
    await mobile.goto(url);
    // Strings run in the page (this project's TypeScript knows no DOM).
    expect(await mobile.evaluate("document.scripts.length")).toBe(0);
    expect((await rows(mobile)).map((r) => [r.target, r.level])).toEqual(seen.map((r) => [r.target, r.level]));
    expect(await mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
    expect(await mobile.locator(`#unprotected li[data-volume="${volume}"]`).isVisible()).toBe(true);
    await mobile.screenshot({ path: artifact("status-page-phone.png"), fullPage: true });
    await phone.close();

    // No secret anywhere in the page.
    const body = await html();
    for (const secret of [repo.password, hcSecret, meiliKey]) expect(body).not.toContain(secret);
  });
});
