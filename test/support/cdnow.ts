import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The real data sets the tests read, with their sources and licences (test/data/README.md). */
export const TEST_DATA = resolve(repoRoot, 'test/data');

export function testDataFile(name: string): string {
  const p = join(TEST_DATA, name);
  if (!existsSync(p))
    throw new Error(`real data ${p} is missing from the checkout (see test/data/README.md)`);
  return p;
}

/**
 * Splits the CDNOW purchase log (customer_id,date,quantity,amount) into per-node event files in
 * the node's import format, customers by id modulo `nodes`. Returns the file of each node.
 */
export function splitCdnow(outDir: string, nodes: number): string[] {
  const lines = readFileSync(testDataFile('cdnow_events.csv'), 'utf8').trim().split('\n');
  const header = 'customer_id,time,type,amount,channel,category';
  const parts: string[][] = Array.from({ length: nodes }, () => [header]);
  for (const line of lines.slice(1)) {
    const [id, date, , amount] = line.split(',');
    parts[Number(id) % nodes]!.push(`${id},${date},purchase,${amount},,`);
  }
  mkdirSync(outDir, { recursive: true });
  return parts.map((rows, i) => {
    const file = join(outDir, `cdnow-events-${i}.csv`);
    writeFileSync(file, `${rows.join('\n')}\n`);
    return file;
  });
}

/** README reference counts for the 8 RFM classes on the pooled CDNOW log as of 1998-07-01. */
export const CDNOW_RFM_COUNTS: Record<string, number> = {
  'R+F+M+': 4617,
  'R+F+M-': 1974,
  'R+F-M+': 268,
  'R+F-M-': 1532,
  'R-F+M+': 449,
  'R-F+M-': 543,
  'R-F-M+': 579,
  'R-F-M-': 13608,
};
export const CDNOW_RFM_MEANS = { recency: 368.2216, frequency: 2.9554, monetary: 106.0804 };

/**
 * Splits the CDNOW 1/10 sample (test/data/CDNOW_sample.txt: master id, sample id, YYYYMMDD,
 * quantity, amount; the data of the published BG/NBD fit) into per-node event files, customers by
 * sample id modulo `nodes`. Returns the file of each node.
 */
export function splitCdnowSample(outDir: string, nodes: number): string[] {
  const header = 'customer_id,time,type,amount,channel,category';
  const parts: string[][] = Array.from({ length: nodes }, () => [header]);
  for (const line of readFileSync(testDataFile('CDNOW_sample.txt'), 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5) continue;
    const d = f[2] as string;
    const time = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T00:00:00Z`;
    parts[Number(f[1]) % nodes]!.push(`${Number(f[1])},${time},purchase,${f[4]},web,cd`);
  }
  mkdirSync(outDir, { recursive: true });
  return parts.map((rows, i) => {
    const file = join(outDir, `cdnow-sample-${i}.csv`);
    writeFileSync(file, `${rows.join('\n')}\n`);
    return file;
  });
}
