import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testDataFile } from './cdnow.ts';

/**
 * Overlapping node views of the real CDNOW purchase log (test/data/README.md) for overlap jobs:
 * each of three nodes holds the customers whose id modulo 4 is in its residue set, so every pair
 * shares the customers of two residues and all three share residue 2. A node knows its customers
 * under its own ids (`<node>-<n>`); what links them is an e-mail address, written differently at
 * each node (case, surrounding spaces) so that matching depends on the documented normalisation.
 */
export const VIEW_RESIDUES: readonly (readonly number[])[] = [
  [0, 1, 2],
  [1, 2, 3],
  [2, 3, 0],
];

export const cdnowEmail = (id: number) => `cust${id}@cdnow.example`;
const spellings = [
  (e: string) => e,
  (e: string) => e.toUpperCase(),
  (e: string) => `  ${e.replace(/^c/, 'C')} `,
];

export interface OverlapView {
  name: string;
  customers: string;
  events: string;
  consents: string;
  /** CDNOW ids whose analytics consent is in force at this node. */
  consenting: Set<number>;
}

/**
 * Writes the views of customers with CDNOW id <= maxId. At node 1 every 10th customer's analytics
 * consent is revoked after being granted, so it must drop out of that node's matches.
 */
export function writeOverlapViews(
  outDir: string,
  names: readonly string[],
  maxId: number
): OverlapView[] {
  const lines = readFileSync(testDataFile('cdnow_events.csv'), 'utf8').trim().split('\n').slice(1);
  const events = new Map<number, string[]>();
  for (const line of lines) {
    const [id, date, , amount] = line.split(',');
    const n = Number(id);
    if (n > maxId) continue;
    const list = events.get(n) ?? [];
    list.push(`${date},purchase,${amount},,`);
    events.set(n, list);
  }
  mkdirSync(outDir, { recursive: true });
  return names.map((name, v) => {
    const ids = [...events.keys()]
      .filter((n) => (VIEW_RESIDUES[v] as readonly number[]).includes(n % 4))
      .sort((a, b) => a - b);
    const local = (n: number) => `${name}-${n}`;
    const spell = spellings[v] as (e: string) => string;
    const customers = [
      'customer_id,signup_date,email',
      ...ids.map((n) => `${local(n)},1997-01-01,${spell(cdnowEmail(n))}`),
    ];
    const ev = [
      'customer_id,time,type,amount,channel,category',
      ...ids.flatMap((n) => (events.get(n) ?? []).map((e) => `${local(n)},${e}`)),
    ];
    const consenting = new Set(ids);
    const consents = ['customer_id,purpose,status,time,source'];
    for (const n of ids) {
      consents.push(`${local(n)},analytics,granted,1997-01-01,`);
      if (v === 1 && n % 10 === 0) {
        consents.push(`${local(n)},analytics,revoked,1998-01-01,`);
        consenting.delete(n);
      }
    }
    const file = (kind: string, rows: string[]) => {
      const f = join(outDir, `${name}-${kind}.csv`);
      writeFileSync(f, `${rows.join('\n')}\n`);
      return f;
    };
    return {
      name,
      customers: file('customers', customers),
      events: file('events', ev),
      consents: file('consents', consents),
      consenting,
    };
  });
}

/** |A ∩ B| of two views' consenting customers. */
export function sharedCount(a: OverlapView, b: OverlapView): number {
  let n = 0;
  for (const id of a.consenting) if (b.consenting.has(id)) n++;
  return n;
}
