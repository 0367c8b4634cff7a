#!/usr/bin/env node
// One CLI for every role. Node and coordinator never import each other, so this dispatcher
// loads only the package that owns the subcommand (tsx compiles the TypeScript on the fly).
import { register } from 'tsx/esm/api';

register();

const ROUTES = {
  node: '../packages/node/src/cli/main.ts',
  audit: '../packages/node/src/cli/main.ts',
  coordinator: '../packages/coordinator/src/cli/main.ts',
  job: '../packages/coordinator/src/cli/main.ts',
  model: '../packages/coordinator/src/cli/main.ts',
  simulate: '../packages/coordinator/src/simulate/main.ts',
};

const HELP = `fedmark: privacy-preserving federated analytics for precision marketing

Usage: fedmark <role> <command> [options]   (every level takes --help)

Roles:
  node          run a data-owner node: init, import, consent, erase, stats, ledger, serve, synth
  audit         verify and export a node's ledger (compliance auditors)
  coordinator   run the federation's coordinator: init, admit, start
  job           launch and follow joint jobs: create, watch, result, template
  model         export and apply trained models
  simulate      run a whole local federation (coordinator + nodes on loopback) with sample data
`;

const [role] = process.argv.slice(2);
if (!role || role === '--help' || role === '-h' || role === 'help') {
  process.stdout.write(HELP);
  process.exit(role ? 0 : 2);
}
const target = ROUTES[role];
if (!target) {
  process.stderr.write(`fedmark: unknown role "${role}"\n\n${HELP}`);
  process.exit(2);
}
const mod = await import(new URL(target, import.meta.url).href);
process.exitCode = await mod.run(process.argv.slice(2));
