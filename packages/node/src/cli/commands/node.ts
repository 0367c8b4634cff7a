import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { EXIT_CODES_HELP } from '../exit-codes.ts';
import { registerInit } from './init.ts';
import { registerSynth } from './synth.ts';
import { registerImport } from './import.ts';
import { registerConsent } from './consent.ts';
import { registerErase } from './erase.ts';
import { registerLedger } from './ledger.ts';
import { registerPolicy } from './policy.ts';
import { registerBudget } from './budget.ts';
import { registerStats } from './stats.ts';
import { registerServe } from './serve.ts';
import { registerEnroll } from './enroll.ts';
import { registerScore } from './score.ts';
import { registerKeys } from './keys.ts';
import { registerMembers } from './members.ts';
import { registerBackup } from './backup.ts';
import { registerWarehouse } from './warehouse.ts';
import { registerDecide } from './decide.ts';
import { registerAudience } from './audience.ts';
import { registerClvScore } from './clv-score.ts';

export function registerNodeCommands(program: Command, ctx: CliContext): void {
  const node = program
    .command('node')
    .description(
      'run a data-owner node: init, keys, import, warehouse, consent, erase, ledger, policy, budget, stats, serve, pin-coordinator, enroll, members, synth, score, decide, audience, clv-score'
    );
  node.addHelpText(
    'after',
    `\nQuick start:\n  $ fedmark node init --dir ./node-a --name retail-a\n  $ fedmark node synth --dir ./data-a --profile retail --seed 1\n  $ fedmark node import --dir ./node-a --kind customers ./data-a/customers.csv\n${EXIT_CODES_HELP}`
  );
  registerInit(node, ctx);
  registerImport(node, ctx);
  registerWarehouse(node, ctx);
  registerConsent(node, ctx);
  registerErase(node, ctx);
  registerLedger(node, ctx);
  registerPolicy(node, ctx);
  registerBudget(node, ctx);
  registerStats(node, ctx);
  registerServe(node, ctx);
  registerKeys(node, ctx);
  registerEnroll(node, ctx);
  registerMembers(node, ctx);
  registerSynth(node, ctx);
  registerBackup(node, ctx);
  registerScore(node, ctx);
  registerDecide(node, ctx);
  registerAudience(node, ctx);
  registerClvScore(node, ctx);
}
