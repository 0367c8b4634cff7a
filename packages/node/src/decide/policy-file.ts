import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ProtocolError, modelFromJson, type Model } from '@fedmark/protocol';
import { compilePolicy, type CompiledPolicy } from './compile.ts';
import { DecisionPolicySchema, type DecisionPolicy } from './policy-schema.ts';
import { rateTableFromResult } from './response-rates.ts';

/**
 * Reading a decision policy file and the files it names (model files, the published response
 * rates), relative to the policy file's folder. Every error names the file and the field.
 */

function fieldPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>(
      (s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)),
      ''
    ) || '(top level)'
  );
}

/** Validates a policy value; the error names `source` and the first bad field. */
export function parseDecisionPolicy(value: unknown, source = 'decision policy'): DecisionPolicy {
  const parsed = DecisionPolicySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const unknown =
      issue?.code === 'unrecognized_keys' ? ` (${issue.keys.map((k) => `"${k}"`).join(', ')})` : '';
    throw new ProtocolError(
      'BAD_REQUEST',
      `${source}: field "${fieldPath(issue?.path ?? [])}": ${issue?.message ?? 'invalid'}${unknown}`
    );
  }
  return parsed.data;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `${what} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`
    );
  }
}

function readJson(file: string, what: string): unknown {
  const text = readText(file, what);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `${what} ${file}: not valid JSON (${(err as Error).message})`
    );
  }
}

export interface LoadedPolicy {
  file: string;
  compiled: CompiledPolicy;
  /** Model files by the policy's model names. */
  models: ReadonlyMap<string, Model>;
}

export function loadDecisionPolicy(file: string): LoadedPolicy {
  const policy = parseDecisionPolicy(readJson(file, 'decision policy'), file);
  const base = dirname(resolve(file));
  const models = new Map<string, Model>();
  for (const [name, ref] of Object.entries(policy.models)) {
    const path = resolve(base, ref.file);
    models.set(name, modelFromJson(readText(path, `models.${name}.file`), path));
  }
  let rates = null;
  if (policy.responseRates) {
    const path = resolve(base, policy.responseRates.file);
    rates = rateTableFromResult(readJson(path, 'responseRates.file'), {
      source: path,
      ...(policy.responseRates.round === undefined ? {} : { round: policy.responseRates.round }),
    });
  }
  return { file, compiled: compilePolicy(policy, { rates }), models };
}
