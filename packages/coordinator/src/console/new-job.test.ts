import { describe, expect, it } from 'vitest';
import { OPERATOR_TOKEN, fakeSealBlob, federation, harness, testNode } from '../_testing.ts';
import { TEMPLATE_NAMES } from '../jobs/templates.ts';
import { session, testIdText } from './_console-testing.ts';
import { paramsFromForm, specFromParams, templateDefaults } from './new-job-form.ts';

const nodes = [testNode('n1', 21), testNode('n2', 22), testNode('n3', 23)];

async function ready() {
  const h = harness();
  await federation(h, nodes, fakeSealBlob(100));
  return { h, b: await session(h.coordinator.app, OPERATOR_TOKEN) };
}

describe('new-job form', () => {
  it('offers every template, labels every field, and previews the spec without creating anything', async () => {
    const { h, b } = await ready();
    const page = await b.get('/console/jobs/new?template=segment');
    expect(page.status).toBe(200);
    expect(page.html).toContain('data-testid="new-job-form"');
    expect([...page.html.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1])).toEqual([
      ...TEMPLATE_NAMES,
    ]);
    expect(page.html).toContain('<option value="segment" selected="">');
    for (const f of ['name', 'asOf', 'minNodes', 'epsilon', 'deadlineMs'])
      expect(page.html).toMatch(
        new RegExp(`<label>[^<]*<span class="hint">[^<]*</span><input type="[a-z]+" name="${f}"`)
      );
    expect(page.html).toContain(
      '<button type="submit" name="action" value="create">Create job</button>'
    );
    expect(page.html).toContain('New jobs run on key epoch k3 with 3 members (n1, n2, n3).');
    expect(page.html).toContain('<div data-testid="epoch-status" data-ready="true">');

    const preview = await b.post('/console/jobs/new', {
      template: 'lifecycle',
      name: 'Q1 <review>',
      epsilon: '0.25',
      minNodes: '',
      asOf: '2026-02-28',
      deadlineMs: '',
      action: 'preview',
    });
    expect(preview.status).toBe(200);
    const shown = JSON.parse(
      (testIdText(preview.html, 'spec-preview') ?? '')
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&amp;/g, '&')
    );
    expect(shown).toMatchObject({
      kind: 'segment_stats',
      name: 'Q1 <review>',
      minNodes: 3,
      query: { epsilon: 0.25, asOf: '2026-02-28', purpose: 'analytics' },
    });
    expect(preview.html).toContain('value="Q1 &lt;review&gt;"');
    expect(h.store.jobs.listJobs()).toEqual([]);
  });

  it('names each bad field on the form (400) and creates nothing', async () => {
    const { h, b } = await ready();
    const bad = await b.post('/console/jobs/new', {
      template: 'rfm',
      minNodes: '2',
      epsilon: 'lots',
      deadlineMs: '10',
      asOf: '2026-13-45',
      mechanism: 'central-magic',
      action: 'create',
    });
    expect(bad.status).toBe(400);
    expect(testIdText(bad.html, 'error-mechanism')).toMatch(
      /^mechanism: .*distributed-laplace.*distributed-gaussian.*local-laplace/
    );
    expect(testIdText(bad.html, 'error-minNodes')).toBe(
      'minNodes: Too small: expected number to be &gt;=3'
    );
    expect(testIdText(bad.html, 'error-epsilon')).toBe(
      'epsilon: expected a positive number such as 0.5, got &quot;lots&quot;'
    );
    expect(testIdText(bad.html, 'error-deadlineMs')).toBe(
      'deadlineMs: Too small: expected number to be &gt;=1000'
    );
    expect(testIdText(bad.html, 'error-asOf')).toMatch(/^asOf: /);
    expect(bad.html).toContain(
      'name="minNodes" id="field-minNodes" value="2" placeholder="3" aria-invalid="true" aria-describedby="error-minNodes"'
    );
    const tooBig = await b.post('/console/jobs/new', {
      template: 'train',
      epsilon: '1000',
      action: 'create',
    });
    expect(tooBig.status).toBe(400);
    expect(testIdText(tooBig.html, 'error-epsilon')).toBe(
      'epsilon: epsilon above 100 gives no meaningful privacy'
    );
    const unknown = await b.post('/console/jobs/new', { template: 'nope', action: 'create' });
    expect(unknown.status).toBe(400);
    expect(testIdText(unknown.html, 'error-template')).toBe(
      'template: choose one of rfm, lifecycle, ab-test, segment, train, clv'
    );
    expect(h.store.jobs.listJobs()).toEqual([]);
  });

  it("reports the JSON form's parse and schema errors on the spec field, naming the path", async () => {
    const { h, b } = await ready();
    const notJson = await b.post('/console/jobs/new', {
      template: 'rfm',
      spec: '{"version": 1,',
      action: 'create-json',
    });
    expect(notJson.status).toBe(400);
    expect(testIdText(notJson.html, 'error-spec')).toMatch(/^spec: not valid JSON \(/);
    expect(notJson.html).toContain('{&quot;version&quot;: 1,</textarea>');
    const wrong = await b.post('/console/jobs/new', {
      template: 'rfm',
      spec: JSON.stringify({
        version: 1,
        kind: 'segment_stats',
        minNodes: 1,
        query: {
          version: 1,
          kind: 'segment_stats',
          purpose: 'analytics',
          asOf: '2026-01-01',
          epsilon: 1,
        },
      }),
      action: 'create-json',
    });
    expect(wrong.status).toBe(400);
    expect(testIdText(wrong.html, 'error-spec')).toBe(
      'spec: minNodes: Too small: expected number to be &gt;=3'
    );
    expect(h.store.jobs.listJobs()).toEqual([]);
  });

  it("shows the coordinator's refusal above the form with its status (409 without an active key epoch)", async () => {
    const h = harness();
    const b = await session(h.coordinator.app, OPERATOR_TOKEN);
    const page = await b.get('/console/jobs/new');
    expect(page.html).toContain(
      'A job cannot be created right now: no key epoch yet: admit nodes first (fedmark coordinator admit).'
    );
    expect(page.html).toContain('<div data-testid="epoch-status" data-ready="false">');
    const res = await b.post('/console/jobs/new', { template: 'lifecycle', action: 'create' });
    expect(res.status).toBe(409);
    expect(testIdText(res.html, 'form-errors')).toBe(
      'CONFLICT: no key epoch yet: admit nodes first (fedmark coordinator admit)'
    );
    expect(h.store.jobs.listJobs()).toEqual([]);
  });

  it('builds train specs without an as-of date and puts epsilon in the model spec', () => {
    const { params, errors } = paramsFromForm({
      template: 'train',
      name: 'churn v2',
      epsilon: '2',
      minNodes: '4',
    });
    expect(errors).toEqual({ fields: {}, general: [] });
    const built = specFromParams(params, '2026-03-01');
    expect(built.errors).toEqual({ fields: {}, general: [] });
    expect(built.spec).toMatchObject({
      kind: 'train',
      name: 'churn v2',
      minNodes: 4,
      train: { epsilon: 2, minNodes: 3 },
    });
  });

  it('lets the operator choose the noise mechanism, showing the default by kind', () => {
    expect(templateDefaults('train', '2026-03-01').mechanism).toBe('distributed-gaussian');
    expect(templateDefaults('segment', '2026-03-01').mechanism).toBe('distributed-laplace');
    const { params } = paramsFromForm({ template: 'segment', mechanism: 'local-laplace' });
    const built = specFromParams(params, '2026-03-01');
    expect(built.errors).toEqual({ fields: {}, general: [] });
    expect(built.spec).toMatchObject({ kind: 'segment_stats', mechanism: 'local-laplace' });
  });
});
