import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { tlsFingerprintBase64 } from '@fedmark/protocol';

/** Debian's Chromium (`apt-get install -y chromium`; .ci/run installs it). */
export const CHROMIUM_PATH = process.env['FEDMARK_CHROMIUM'] ?? '/usr/bin/chromium';

/** Where screenshots go: under the test artifacts (gitignored), one folder per suite. */
export const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'test-artifacts', 'console');

/**
 * Whether the browser tests can run. Without Chromium they are skipped with a loud reason,
 * except where FEDMARK_REQUIRE_BROWSER=1 (CI sets it after installing Chromium): there a missing
 * browser is a failure, so CI can never pass by silently skipping them.
 */
export function browserAvailability(): { ok: true } | { ok: false; reason: string } {
  if (existsSync(CHROMIUM_PATH)) return { ok: true };
  const reason = `Chromium not found at ${CHROMIUM_PATH}: install it with 'apt-get install -y chromium' (or set FEDMARK_CHROMIUM)`;
  if (process.env['FEDMARK_REQUIRE_BROWSER'] === '1')
    throw new Error(`${reason}; FEDMARK_REQUIRE_BROWSER=1 forbids skipping the browser tests`);
  process.stderr.write(`\n!!! SKIPPING the Chromium console tests: ${reason}\n\n`);
  return { ok: false, reason };
}

/**
 * Headless Chromium with the flags this sandbox needs: no sandbox (root), no GPU, and no
 * background networking (the machine's closed network refuses Google's hosts loudly).
 * `trustTlsKeys` are TLS key pins (`sha256:<hex>`) Chromium accepts a self-signed certificate
 * for, as a node pins the coordinator's key: every other certificate error still fails the page.
 */
export function launchChromium(trustTlsKeys: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      ...(trustTlsKeys.length > 0
        ? [
            `--ignore-certificate-errors-spki-list=${trustTlsKeys.map(tlsFingerprintBase64).join(',')}`,
          ]
        : []),
    ],
  });
}

/** Every console error and uncaught page error seen by a page, for the "no console errors" check. */
export function watchConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${page.url()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`${page.url()}: uncaught ${err.message}`));
  return errors;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Logs in through the console's own login form, as a user would. */
export async function consoleLogin(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/console/login`);
  await page.fill('[data-testid="login-form"] input[name="token"]', token);
  await Promise.all([
    page.waitForURL((u) => !u.pathname.endsWith('/login')),
    page.click('[data-testid="login-form"] button[type="submit"]'),
  ]);
}
