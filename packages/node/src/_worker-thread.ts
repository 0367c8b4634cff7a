/**
 * Internal: starts one of the node's worker threads. In the CLI bundle each worker is its own
 * entry file beside the bundle's chunks (scripts/build.mjs); in tests, benches and
 * `FEDMARK_FROM_SOURCE` runs, which load TypeScript through tsx, it is a bootstrap that registers
 * tsx in the worker before importing the TypeScript entry, since loader hooks given to the main
 * thread with --import do not reach worker threads on Node 20.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Worker entries: the bundle's entry name (scripts/build.mjs) and its source, from this file. */
const ENTRIES = {
  'csv-parse-worker': './importing/_csv-parse-worker.ts',
  'psi-hash-worker': './overlap/_psi-hash-worker.ts',
} as const;

export type WorkerName = keyof typeof ENTRIES;

export function startWorker(name: WorkerName, workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL(`./${name}.js`, import.meta.url), { workerData });
  const entry = new URL(ENTRIES[name], import.meta.url).href;
  // Resolved here, from this file: the worker's own resolution would start from the cwd. The
  // package maps tsx/esm/api to index.cjs for require and to index.mjs beside it for import.
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsx = pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
  return new Worker(
    `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`,
    { eval: true, workerData }
  );
}
