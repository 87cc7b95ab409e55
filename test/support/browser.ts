import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (scripts/ensure-chromium.sh installs it); playwright-core never downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Why the browser tests cannot run here, or null. Without Chromium they are skipped with this reason on a
 * developer's machine, and fail in CI (CI=true), where scripts/ensure-chromium.sh must have installed it.
 */
export function browserMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `no Chromium at ${CHROMIUM}: run scripts/ensure-chromium.sh`;
  if (process.env.CI) throw new Error(reason);
  return reason;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
}

/**
 * The README's screenshots: written to docs/screens when SAGAWAY_SCREENSHOTS=1 (on purpose, like the
 * recorded histories), else to a temporary folder, so an ordinary test run changes no committed file.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.SAGAWAY_SCREENSHOTS === '1' ? join(__dirname, '..', '..', 'docs', 'screens') : join(tmpdir(), 'sagaway-screens');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), animations: 'disabled' });
}
