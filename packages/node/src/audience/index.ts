/**
 * Audiences for activation (docs/decide.md "Audiences"): the node's own customers matching a
 * rule, with marketing consent in force, written to a local CSV and recorded in the ledger
 * (count, commitment, rule hash). Nothing leaves the node.
 *
 * @example
 * import { buildAudience, parseAudienceRule } from './audience/index.ts';
 * const rule = parseAudienceRule({ version: 1, kind: 'audience', name: 'lapsed', where: [{ field: 'lifecycle_stage', in: ['decline'] }] });
 * const r = await buildAudience({ db, identity, rule, ruleFile: 'lapsed.json', out: 'lapsed.csv', asOf: '2026-01-01' });
 * r.count; r.entry.type; // 'audience'
 */
export { AudienceRuleSchema, type AudienceRule } from './audience-rule.ts';
export { buildAudience, parseAudienceRule, type AudienceResult } from './build-audience.ts';
