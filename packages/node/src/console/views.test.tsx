import { describe, expect, it } from 'vitest';
import type { AuditReport } from '../audit/index.ts';
import { ErasuresView, type ErasuresModel } from './erasures-page.tsx';
import { formatUtc } from '@fedmark/protocol/console';
import { bodySummary, formatDuration, formatEpsilon } from './_format.tsx';
import { Verdict, type AuditRun } from './verification-page.tsx';

/** Renders a hono JSX element to its HTML string. */
const html = async (el: unknown): Promise<string> =>
  String(await (el as { toString(): string | Promise<string> }).toString());

function report(over: Partial<AuditReport>): AuditReport {
  return {
    ok: true,
    node: 'n',
    ledgerSize: 10,
    merkleRoot: '0'.repeat(64),
    storedCheckpoints: 0,
    coordinator: null,
    checks: [],
    firstFailure: null,
    compliance: {
      at: '2026-01-01T00:00:00.000Z',
      purposes: [],
      releases: [],
      erasures: [],
      refused: [],
    },
    notes: [],
    ...over,
  } as AuditReport;
}

const run = (r: AuditReport): AuditRun => ({
  report: r,
  elapsedMs: 1234,
  ranAt: '2026-11-23T01:00:00.000Z',
  reused: true,
});

describe('node console views', () => {
  it('the verdict names a failing check without an entry, escaping its detail', async () => {
    const failure = {
      check: 'receipts' as const,
      ok: false,
      detail: 'receipt <b>#3</b> does not match',
    };
    const out = await html(
      <Verdict
        report={report({ ok: false, checks: [failure], firstFailure: failure })}
        base="/console"
      />
    );
    expect(out).toBe(
      '<p><span class="badge bad" data-testid="verify-verdict">FAILED</span> first failing check <strong>receipts</strong>: receipt &lt;b&gt;#3&lt;/b&gt; does not match</p>'
    );
  });

  it('the erasure check: FAILED links the release that used an erased pseudonym; no such check says NOT CHECKED', async () => {
    const bad = {
      check: 'erasure_honoured',
      ok: false,
      detail: 'release #7 used an erased pseudonym',
      firstBadSeq: 7,
    } as unknown as AuditReport['checks'][number];
    const model: ErasuresModel = { erasures: [], check: bad, notes: [], run: run(report({})) };
    const failed = await html(<ErasuresView model={model} base="/console" />);
    expect(failed).toContain(
      'data-testid="erasure-check">FAILED</span> release #7 used an erased pseudonym (entry <a href="/console/ledger?before=8">#7</a>)'
    );
    expect(failed).toContain('No customer has been erased.');
    expect(failed).toContain(
      'Result of the verification run at <time datetime="2026-11-23T01:00:00.000Z"'
    );
    expect(failed).toContain('in 1.2 s (10 entries)');
    const none = await html(
      <ErasuresView
        model={{ ...model, check: null, notes: ['erasure vs later releases is not checked'] }}
        base="/console"
      />
    );
    expect(none).toContain(
      'data-testid="erasure-check">NOT CHECKED</span> erasure vs later releases is not checked'
    );
  });

  it('formats times, epsilon, durations and body summaries', () => {
    expect(formatUtc('2026-03-02T10:00:05.123Z')).toBe('2026-03-02 10:00:05 UTC');
    expect(formatEpsilon(2)).toBe('2');
    expect(formatEpsilon(0.1 + 0.2)).toBe('0.3');
    expect(formatDuration(850.4)).toBe('850 ms');
    expect(formatDuration(24_512)).toBe('24.5 s');
    expect(bodySummary({ jobId: 'j', round: 0, changed: [{ field: 'k' }], x: null })).toEqual({
      short: 'jobId=j; round=0; changed=[{"field":"k"}]; x=null',
      full: 'jobId=j; round=0; changed=[{"field":"k"}]; x=null',
    });
    const long = bodySummary({ reason: 'r'.repeat(300) });
    expect(long.short.length).toBe(160);
    expect(long.short.endsWith('…')).toBe(true);
    expect(long.full.length).toBe(307);
  });
});
