import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobTemplate } from '../packages/coordinator/src/jobs/templates.ts';
import { LocalFederation } from '../packages/coordinator/src/simulate/federation.ts';
import { sleep } from '../packages/coordinator/src/simulate/processes.ts';
import {
  browserAvailability,
  consoleLogin,
  launchChromium,
  screenshot,
  watchConsoleErrors,
} from './support/browser.ts';

/**
 * The consoles' browser check (docs/console.md "Browser tests"): both web consoles against a
 * running federation (coordinator + 3 node processes on loopback), driven in Debian's Chromium.
 * Every page loads without console errors, a job created from the form finishes and shows its
 * chart, and the auditor roles cannot reach operator or admin pages or actions. Screenshots:
 * test-artifacts/console/.
 */
const browser = browserAvailability();

/** A node's API token for `role`, from the api-tokens.json `node serve` wrote. */
function nodeToken(dir: string, role: 'admin' | 'auditor'): string {
  const file = JSON.parse(readFileSync(join(dir, 'api-tokens.json'), 'utf8')) as {
    tokens: { role: string; token: string }[];
  };
  const found = file.tokens.find((t) => t.role === role);
  if (!found) throw new Error(`${dir}/api-tokens.json has no ${role} token`);
  return found.token;
}

describe.runIf(browser.ok)('web consoles in Chromium', () => {
  let workdir: string;
  let fed: LocalFederation;
  let chromium: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'fedmark-console-'));
    fed = new LocalFederation({
      workdir,
      pollMs: 150,
      nodes: (['retail', 'bank', 'telecom'] as const).map((profile, i) => ({
        name: `shop-${i + 1}`,
        data: { synth: { profile, customers: 500, seed: `console-${i}` } },
      })),
    });
    await fed.start();
    // One job through the API first: it waits for the key ceremony (the form refuses jobs until
    // then) and leaves releases in the ledgers and checkpoints in the transparency log.
    const warm = await fed.operator.createJob(jobTemplate('lifecycle', '2026-01-01'));
    expect((await fed.operator.waitForJob(warm, { timeoutMs: 120_000 })).status).toBe('published');
    chromium = await launchChromium([fed.tlsFingerprint]);
  }, 300_000);

  afterAll(async () => {
    for (const c of contexts) await c.close();
    await chromium?.close();
    await fed?.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  /** A fresh browser profile (own cookie jar) with its console errors collected. */
  async function newPage(): Promise<{ page: Page; errors: string[] }> {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    return { page, errors: watchConsoleErrors(page) };
  }

  /** Follows a navigation link as a user would and waits for the new page to load. */
  async function clickNav(page: Page, label: string): Promise<void> {
    await page.click(`nav a:text-is("${label}")`);
    await page.waitForLoadState('load');
  }

  /** How many jobs the coordinator has (its operator API: GET /v1/jobs). */
  async function jobCount(): Promise<number> {
    const res = await fed.coordinatorFetch(`${fed.coordinatorUrl}/v1/jobs`, {
      headers: { authorization: `Bearer ${fed.operatorToken}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { jobs: unknown[] };
    return body.jobs.length;
  }

  /** The job page refreshes itself while the job runs; read its state until it settles. */
  async function waitForJobState(page: Page, timeoutMs: number): Promise<string> {
    const until = Date.now() + timeoutMs;
    let state = '';
    while (Date.now() < until) {
      state = (
        (await page
          .textContent('[data-testid="job-state"]', { timeout: 5000 })
          .catch(() => null)) ?? ''
      ).trim();
      if (/published|failed/i.test(state)) return state;
      await sleep(500);
    }
    return state;
  }

  it('serves the coordinator console over HTTPS only', () => {
    expect(fed.coordinatorUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('operator: nodes, a job created from the template form runs to its result chart, no console errors', async () => {
    const { page, errors } = await newPage();
    await consoleLogin(page, fed.coordinatorUrl, fed.operatorToken);
    expect(await page.textContent('[data-testid="session-role"]')).toBe('operator');

    await clickNav(page, 'Nodes');
    const nodeRows = await page.locator('[data-testid="nodes-table"] tbody tr').allTextContents();
    for (const n of fed.nodes) expect(nodeRows.some((r) => r.includes(n.name))).toBe(true);
    await screenshot(page, 'coordinator-nodes');

    await clickNav(page, 'New job');
    const form = page.locator('[data-testid="new-job-form"]');
    await form.locator('select[name="template"]').selectOption('lifecycle');
    await form.locator('input[name="name"]').fill('browser lifecycle check');
    await form.locator('input[name="asOf"]').fill('2026-01-01');
    await screenshot(page, 'coordinator-new-job');
    await Promise.all([
      page.waitForURL(
        (u) => /^\/console\/jobs\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith('/new')
      ),
      form.locator('button[value="create"]').click(),
    ]);
    expect(await page.textContent('h1')).toContain('browser lifecycle check');
    await screenshot(page, 'coordinator-job-running');

    expect(await waitForJobState(page, 180_000)).toMatch(/published/i);
    await screenshot(page, 'coordinator-job-published');

    await page.goto(page.url() + '/result');
    const chart = page.locator('[data-testid="result-chart"]').first();
    expect(await chart.isVisible()).toBe(true);
    expect(await chart.locator('rect.bar').count()).toBeGreaterThan(0);
    expect(await chart.locator('.err-bar').count()).toBeGreaterThan(0);
    await screenshot(page, 'coordinator-result');

    for (const label of ['Jobs', 'Results', 'Transparency']) {
      await clickNav(page, label);
      expect(await page.textContent('h1')).not.toMatch(/error|forbidden/i);
      await screenshot(page, `coordinator-${label.toLowerCase()}`);
    }
    expect(errors).toEqual([]);
  });

  it('coordinator auditor: sees the transparency log, gets 403 on operator pages and on job creation', async () => {
    const { page, errors } = await newPage();
    await consoleLogin(page, fed.coordinatorUrl, fed.auditorToken);
    expect(new URL(page.url()).pathname).toBe('/console/transparency');
    expect(Number(await page.textContent('[data-testid="log-size"]'))).toBeGreaterThan(0);
    expect(await page.locator('nav a').allTextContents()).toEqual(['Transparency']);
    await screenshot(page, 'coordinator-auditor-transparency');
    const perNode = await page.goto(`${fed.coordinatorUrl}/console/transparency/nodes/shop-1`);
    expect(perNode?.status()).toBe(200);
    expect(
      await page.locator('[data-testid="node-checkpoints-table"] tbody tr').count()
    ).toBeGreaterThan(0);
    await screenshot(page, 'coordinator-auditor-node-checkpoints');

    for (const path of [
      '/console/nodes',
      '/console/jobs',
      '/console/jobs/new',
      '/console/results',
    ]) {
      const res = await page.goto(`${fed.coordinatorUrl}${path}`);
      expect(res?.status(), path).toBe(403);
    }
    const jobsBefore = await jobCount();
    // The auditor's own session cookie rides along (the request context shares the browser's jar).
    const post = await page.request.post(`${fed.coordinatorUrl}/console/jobs/new`, {
      form: { template: 'lifecycle', action: 'create', name: 'auditor job' },
      headers: { origin: fed.coordinatorUrl },
      // Playwright's own HTTP client, not Chromium: it knows no pins, and this check is about CSRF.
      ignoreHTTPSErrors: true,
    });
    expect(post.status()).toBe(403);
    expect(await jobCount()).toBe(jobsBefore);
    // 403 pages are console errors by Chromium's definition ("Failed to load resource"): only those.
    expect(errors.every((e) => /status of 403/.test(e))).toBe(true);
  });

  it('node auditor: ledger with filters, verification, budgets chart, erasures; admin pages answer 403', async () => {
    const node = fed.node('shop-1');
    expect(node.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { page, errors } = await newPage();
    await consoleLogin(page, node.apiUrl!, nodeToken(node.dir, 'auditor'));
    expect(await page.textContent('[data-testid="session-role"]')).toBe('auditor');

    await clickNav(page, 'Ledger');
    expect(await page.locator('[data-testid="ledger-table"] tbody tr').count()).toBeGreaterThan(0);
    await screenshot(page, 'node-ledger');
    await page.goto(`${node.apiUrl}/console/ledger?type=release`);
    const types = await page
      .locator('[data-testid="ledger-table"] tbody tr td:nth-child(3)')
      .allTextContents();
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types.map((t) => t.trim()))).toEqual(new Set(['release']));

    await clickNav(page, 'Verification');
    expect(await page.textContent('[data-testid="verify-verdict"]')).toMatch(/PASSED/);
    await screenshot(page, 'node-verification');
    await clickNav(page, 'Budgets');
    expect(await page.locator('[data-testid="budget-chart"]').first().isVisible()).toBe(true);
    await screenshot(page, 'node-budgets');
    await clickNav(page, 'Erasures');
    await screenshot(page, 'node-erasures');

    for (const path of ['/console/policy', '/console/consents', '/console/checkpoints']) {
      expect((await page.goto(`${node.apiUrl}${path}`))?.status(), path).toBe(403);
    }
    expect(errors.every((e) => /status of 403/.test(e))).toBe(true);
    expect(errors.length).toBe(3);
  });

  it('node admin: policy, consents, and signing a checkpoint through the CSRF-protected form', async () => {
    const node = fed.node('shop-2');
    const { page, errors } = await newPage();
    await consoleLogin(page, node.apiUrl!, nodeToken(node.dir, 'admin'));
    for (const label of ['Policy', 'Consents']) {
      await clickNav(page, label);
      expect(await page.textContent('h1')).toContain(label);
      await screenshot(page, `node-${label.toLowerCase()}`);
    }
    await clickNav(page, 'Checkpoints');
    const before = await page.locator('table tbody tr').count();
    await Promise.all([
      page.waitForURL(/signed=/),
      page.click('form[action$="/checkpoints"] button[type="submit"]'),
    ]);
    expect(await page.locator('table tbody tr').count()).toBe(before + 1);
    await screenshot(page, 'node-checkpoint-signed');
    expect(errors).toEqual([]);
  });
});
