/**
 * Next-best-action at the node (docs/decide.md): a decision policy file, the pure decision
 * function, the fact loader over the node's store and the batch runner. Decisions use only the
 * node's own data and published results; nothing leaves the node.
 *
 * @example
 * import { loadDecisionPolicy, decideCustomers } from './decide/index.ts';
 * const loaded = loadDecisionPolicy('nba-policy.json');
 * const { decisions } = decideCustomers({ db, identity, loaded, now: new Date() }, ['C42'], 'cli');
 * decisions[0].action?.id; // e.g. 'welcome'
 * decisions[0].rules;      // [{ rule: 'consent', detail: 'marketing consent in force' }, ...]
 */
export {
  DecisionPolicySchema,
  DEFAULT_STRATEGIES,
  STRATEGIES,
  type DecisionPolicy,
  type DecisionPolicyInput,
} from './policy-schema.ts';
export { loadDecisionPolicy, parseDecisionPolicy, type LoadedPolicy } from './policy-file.ts';
export { compilePolicy, type CompiledPolicy } from './compile.ts';
export { decide } from './decide.ts';
export {
  NO_ACTION_REASONS,
  RULE_CODES,
  type CustomerFacts,
  type Decision,
  type FiredRule,
  type NoActionReason,
  type RuleCode,
} from './decision.ts';
export { createFactLoader, type FactLoader } from './fact-loader.ts';
export { decideBatch, decideCustomers, type BatchOptions, type DecideContext } from './run.ts';
export { writeLinesAtomically } from './decisions-file.ts';
export { listDecisionRuns, totalMix, type DecisionRun } from './decision-log.ts';
export { emptyMix, type RuleMix } from './rule-mix.ts';
export { rateTableFromResult, type RateTable } from './response-rates.ts';
