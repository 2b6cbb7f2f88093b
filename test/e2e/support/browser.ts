// Debian's Chromium, headless, driven by playwright-core (the bench installs /usr/bin/chromium), with
// the flags that keep it off the network it cannot reach here.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";

export const ARTIFACTS = "test-artifacts";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Where a test keeps a screenshot (git-ignored, kept by CI as an artifact). */
export function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
