/**
 * The real browser for dashboard tests: Debian's `chromium` package (never a downloaded build), driven by
 * playwright-core. Tests skip with a message when it is missing on a developer's machine; in CI (CI=true, where
 * .ci/run installs it) a missing browser fails them instead.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.MULTINODE_CHROMIUM ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. In CI a missing browser is an error. */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const why = `Chromium is not installed at ${CHROMIUM} (install Debian's package: apt-get install -y chromium, or set MULTINODE_CHROMIUM)`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${why}; CI must run the browser tests.`);
  console.warn(`Skipping the dashboard's browser tests: ${why}.`);
  return why;
}

export interface Browser {
  readonly context: BrowserContext;
  /** A new tab (its own sessionStorage), collecting the page's errors (script errors, console errors, CSP reports). */
  newPage(): Promise<Page & { errors: string[] }>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'multinode-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    // Without the background-networking flags Chromium tries to reach Google's services at start.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async newPage() {
      const page = (await context.newPage()) as Page & { errors: string[] };
      page.errors = [];
      page.on('pageerror', (error) => page.errors.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') page.errors.push(`console: ${message.text()}`);
      });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
