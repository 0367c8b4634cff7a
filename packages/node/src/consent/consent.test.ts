import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { useTempNode } from '../_testing/temp-node.ts';
import { pseudonymFor, type NodeIdentity } from '../identity/index.ts';
import { listLedger } from '../ledger/index.ts';
import { consentInForce, consentSummary, grantConsent, revokeConsent } from './index.ts';

let db: Database.Database;
let id: NodeIdentity;
const at = (s: string) => new Date(s);

useTempNode('consent-', 'n', (t) => ({ db, identity: id } = t));

describe('consent over time', () => {
  it('grant, revoke, re-grant', () => {
    grantConsent(db, id, {
      customerId: 'C1',
      purpose: 'analytics',
      time: at('2024-01-01T00:00:00Z'),
      source: 'web_form',
    });
    revokeConsent(db, id, {
      customerId: 'C1',
      purpose: 'analytics',
      time: at('2024-03-01T00:00:00Z'),
      source: 'email',
    });
    grantConsent(db, id, {
      customerId: 'C1',
      purpose: 'analytics',
      time: at('2024-06-01T00:00:00Z'),
      source: 'app',
    });
    const inForce = (s: string) => consentInForce(db, 'C1', 'analytics', at(s));
    expect(inForce('2023-12-31T23:59:59Z')).toBe(false);
    expect(inForce('2024-01-01T00:00:00Z')).toBe(true);
    expect(inForce('2024-02-29T12:00:00Z')).toBe(true);
    expect(inForce('2024-03-01T00:00:00Z')).toBe(false);
    expect(inForce('2024-05-31T23:59:59Z')).toBe(false);
    expect(inForce('2024-06-01T00:00:00Z')).toBe(true);
    expect(consentInForce(db, 'C1', 'marketing', at('2024-07-01T00:00:00Z'))).toBe(false);
    expect(consentInForce(db, 'NOBODY', 'analytics', at('2024-07-01T00:00:00Z'))).toBe(false);
  });

  it('a revocation at the same instant as a grant wins', () => {
    grantConsent(db, id, {
      customerId: 'C2',
      purpose: 'marketing',
      time: at('2024-01-01T00:00:00Z'),
      source: 'a',
    });
    revokeConsent(db, id, {
      customerId: 'C2',
      purpose: 'marketing',
      time: at('2024-01-01T00:00:00Z'),
      source: 'b',
    });
    expect(consentInForce(db, 'C2', 'marketing', at('2024-02-01T00:00:00Z'))).toBe(false);
  });

  it('writes pseudonymous ledger entries and is idempotent per record', () => {
    const first = grantConsent(db, id, {
      customerId: 'C3',
      purpose: 'analytics',
      time: at('2024-01-01T00:00:00Z'),
      source: 'web_form',
    });
    expect(first.recorded).toBe(true);
    expect(first.pseudonym).toBe(pseudonymFor(id, 'C3'));
    expect(first.entry).toMatchObject({
      type: 'consent_granted',
      subject: first.pseudonym,
      body: { purpose: 'analytics', effectiveAt: '2024-01-01T00:00:00.000Z' },
    });
    const again = grantConsent(db, id, {
      customerId: 'C3',
      purpose: 'analytics',
      time: at('2024-01-01T00:00:00Z'),
      source: 'web_form',
    });
    expect(again).toEqual({ pseudonym: first.pseudonym, recorded: false, entry: null });
    expect(listLedger(db, { subject: first.pseudonym }).length).toBe(1);
    expect(JSON.stringify(listLedger(db))).not.toContain('"C3"');
  });

  it('summarises per purpose', () => {
    grantConsent(db, id, {
      customerId: 'A',
      purpose: 'analytics',
      time: at('2024-01-01T00:00:00Z'),
      source: 's',
    });
    grantConsent(db, id, {
      customerId: 'B',
      purpose: 'analytics',
      time: at('2024-01-01T00:00:00Z'),
      source: 's',
    });
    revokeConsent(db, id, {
      customerId: 'B',
      purpose: 'analytics',
      time: at('2024-02-01T00:00:00Z'),
      source: 's',
    });
    grantConsent(db, id, {
      customerId: 'B',
      purpose: 'marketing',
      time: at('2024-01-01T00:00:00Z'),
      source: 's',
    });
    expect(consentSummary(db, at('2024-03-01T00:00:00Z'))).toEqual([
      { purpose: 'analytics', inForce: 1, revoked: 1 },
      { purpose: 'model_training', inForce: 0, revoked: 0 },
      { purpose: 'marketing', inForce: 1, revoked: 0 },
    ]);
  });

  it('refuses bad input with BAD_REQUEST', () => {
    expect(() =>
      grantConsent(db, id, { customerId: '', purpose: 'analytics', source: 's' })
    ).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() =>
      grantConsent(db, id, { customerId: 'X', purpose: 'ads' as 'analytics', source: 's' })
    ).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() =>
      grantConsent(db, id, { customerId: 'X', purpose: 'analytics', source: '' })
    ).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() =>
      grantConsent(db, id, {
        customerId: 'X',
        purpose: 'analytics',
        source: 's',
        time: new Date(Number.NaN),
      })
    ).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});

describe('consent sources are personal detail: kept off the chain, gone with erasure', () => {
  it('the source lives in the erasable private payload, and erasing the customer removes it', async () => {
    const { eraseCustomer } = await import('../erasure/index.ts');
    const { verifyLedger } = await import('../ledger/index.ts');
    const source = 'front desk, clerk J. Doe';
    grantConsent(db, id, {
      customerId: 'C77',
      purpose: 'marketing',
      time: at('2024-02-01T00:00:00Z'),
      source,
    });
    const ledgerText = () =>
      (db.prepare('SELECT body FROM ledger').pluck().all() as string[]).join('\n') +
      (db.prepare('SELECT payload FROM ledger_private').pluck().all() as string[]).join('\n');
    const entry = listLedger(db, { type: 'consent_granted' }).at(-1);
    expect(entry?.body).toEqual({ purpose: 'marketing', effectiveAt: '2024-02-01T00:00:00.000Z' });
    expect(ledgerText()).toContain('J. Doe');
    eraseCustomer(db, id, 'C77');
    expect(ledgerText()).not.toContain('J. Doe');
    expect(verifyLedger(db).ok).toBe(true);
  });
});
