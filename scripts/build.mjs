#!/usr/bin/env node
// Compiles the CLI to JavaScript so `fedmark` runs without a TypeScript compiler at run time
// (compiling on every call cost about 1.2 CPU-s per process; bench/cli-startup.bench.ts measures
// both). esbuild bundles each package's entry points with everything pure-JavaScript they import,
// including @fedmark/protocol; only the two packages with native or WebAssembly parts stay
// external and load from the package's own node_modules at run time. Type checking stays with
// `tsc` (pnpm typecheck): esbuild strips types without checking them.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Bundled entry points per package; output in packages/<name>/dist/<key>.js. */
const PACKAGES = {
  // Worker threads start from their own entry files (src/_worker-thread.ts): the import's CSV parser,
  // and the PSI hash of an overlap job's matching keys (overlap/parallel-hash.ts).
  node: {
    cli: 'src/cli/main.ts',
    'csv-parse-worker': 'src/importing/_csv-parse-worker.ts',
    'psi-hash-worker': 'src/overlap/_psi-hash-worker.ts',
  },
  coordinator: { cli: 'src/cli/main.ts', simulate: 'src/simulate/main.ts' },
};
/** better-sqlite3 loads a compiled addon and node-seal a .wasm file, both relative to themselves. */
const EXTERNAL = ['better-sqlite3', 'node-seal', 'node-seal/*'];

export async function buildCli({ quiet = false } = {}) {
  const started = Date.now();
  for (const [name, entries] of Object.entries(PACKAGES)) {
    const dir = `${root}packages/${name}`;
    rmSync(`${dir}/dist`, { recursive: true, force: true });
    await build({
      absWorkingDir: dir,
      entryPoints: Object.fromEntries(Object.entries(entries).map(([out, src]) => [out, src])),
      outdir: 'dist',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: EXTERNAL,
      jsx: 'automatic',
      jsxImportSource: 'hono/jsx',
      sourcemap: 'linked',
      // Some bundled CommonJS packages call require() for node built-ins; ESM output has none.
      banner: {
        js: "import { createRequire as __fedmarkRequire } from 'node:module'; const require = __fedmarkRequire(import.meta.url);",
      },
      logLevel: 'warning',
      legalComments: 'linked',
    });
  }
  if (!quiet) process.stderr.write(`built the fedmark CLI in ${Date.now() - started} ms\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildCli();
