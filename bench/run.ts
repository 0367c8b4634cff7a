/**
 * `pnpm bench [area ...]`: runs every bench/<area>.bench.ts (or the named ones) one after the
 * other in this process and writes bench/results/<area>.json with the figures, the machine and the
 * time. Speed targets live here, not in tests: this machine is shared and noisy, so figures are
 * reported, and ratios are taken within one run.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');
const wanted = process.argv.slice(2);
const areas = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .filter((a) => wanted.length === 0 || wanted.includes(a))
  .sort();

if (areas.length === 0) {
  process.stderr.write(`no benchmark matches ${wanted.join(', ')}\n`);
  process.exit(2);
}
mkdirSync(resultsDir, { recursive: true });
let failed = 0;
for (const area of areas) {
  process.stderr.write(`bench ${area} ...\n`);
  const started = Date.now();
  try {
    const mod = (await import(pathToFileURL(join(here, `${area}.bench.ts`)).href)) as {
      run: () => Promise<Record<string, unknown>>;
    };
    const figures = await mod.run();
    const record = {
      area,
      at: new Date().toISOString(),
      seconds: (Date.now() - started) / 1000,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        memGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
      },
      figures,
    };
    writeFileSync(
      join(resultsDir, `${area}.json`),
      JSON.stringify(record, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n'
    );
    process.stderr.write(
      `bench ${area}: ${JSON.stringify(figures, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`
    );
  } catch (err) {
    failed++;
    process.stderr.write(
      `bench ${area} failed: ${err instanceof Error ? err.stack : String(err)}\n`
    );
  }
}
process.exit(failed === 0 ? 0 : 1);
