import { readFileSync } from 'node:fs';
import { PolicySchema } from '@fedmark/protocol';

/**
 * `--policy FILE`: fields of a node policy (docs/privacy.md "Policy") set on every simulated
 * node, checked against the policy schema here so a mistake names the file and field before
 * anything starts. Only the fields given are changed: the rest stay as `node init` wrote them.
 */
export function loadPolicyPatch(file: string | undefined): Record<string, unknown> | undefined {
  if (file === undefined) return undefined;
  const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${file}: expected a JSON object of policy fields`);
  const r = PolicySchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return raw as Record<string, unknown>;
}
