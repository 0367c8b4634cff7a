#!/usr/bin/env node
// One CLI for every role. Node and coordinator never import each other, so this dispatcher loads
// only the package that owns the subcommand: its compiled bundle in packages/<name>/dist
// (scripts/build.mjs; `pnpm install` builds it). FEDMARK_FROM_SOURCE=1 runs the TypeScript
// sources through tsx instead, with this repository's tsconfig (JSX settings included) whatever the
// current directory: slower to start, no build step, for development.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FROM_SOURCE = process.env.FEDMARK_FROM_SOURCE === '1';

// `fedmark ... | head`: a reader that closed the pipe is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

const BUNDLES = {
  node: ['../packages/node/dist/cli.js', '../packages/node/src/cli/main.ts'],
  coordinator: ['../packages/coordinator/dist/cli.js', '../packages/coordinator/src/cli/main.ts'],
  simulate: [
    '../packages/coordinator/dist/simulate.js',
    '../packages/coordinator/src/simulate/main.ts',
  ],
};
const ROUTES = {
  node: BUNDLES.node,
  audit: BUNDLES.node,
  coordinator: BUNDLES.coordinator,
  job: BUNDLES.coordinator,
  model: BUNDLES.coordinator,
  simulate: BUNDLES.simulate,
};

const HELP = `fedmark: privacy-preserving federated analytics for precision marketing

Usage: fedmark <role> <command> [options]   (every level takes --help)

Roles:
  node          run a data-owner node: init, keys, import, consent, erase, stats, ledger, serve, synth
  audit         verify and export a node's ledger (compliance auditors)
  coordinator   run the federation's coordinator: init, admit, start
  job           launch and follow joint jobs: create, watch, result, template
  model         export and apply trained models
  simulate      run a whole local federation (coordinator + nodes on loopback) with sample data

Start with:   fedmark simulate            (a whole federation on this machine, about a minute)
Docs:         README.md and docs/ in the repository
`;

const [role] = process.argv.slice(2);
if (!role || role === '--help' || role === '-h' || role === 'help') {
  process.stdout.write(HELP);
  process.exit(role ? 0 : 2);
}
const route = ROUTES[role];
if (!route) {
  process.stderr.write(`fedmark: unknown role "${role}"\n\n${HELP}`);
  process.exit(2);
}
const target = new URL(FROM_SOURCE ? route[1] : route[0], import.meta.url);
if (FROM_SOURCE) {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
} else if (!existsSync(target)) {
  process.stderr.write(
    `fedmark: the CLI is not built (${fileURLToPath(target)} is missing).\n` +
      'Build it with `npx -y pnpm@10 install` (which builds) or `npx -y pnpm@10 build`, ' +
      'or run from the sources with FEDMARK_FROM_SOURCE=1.\n'
  );
  process.exit(2);
}
// With FEDMARK_DEBUG=1, the only time the CLI prints a stack trace, stack traces point at the
// TypeScript sources (the bundles carry source maps). Not otherwise: with source maps on, every
// process reads and parses the maps of what it loads (4 MB for node-seal alone) and every stack
// formatted goes through them, about 0.6 CPU-s per node agent (docs/scale.md "Cheap federation").
if (process.env.FEDMARK_DEBUG === '1') process.setSourceMapsEnabled(true);
const mod = await import(target.href);
process.exitCode = await mod.run(process.argv.slice(2));
