import { z } from 'zod';
import {
  CheckpointReceiptSchema,
  CheckpointSignedSchema,
  PolicySchema,
  ProtocolError,
  hexToBytes,
} from '@fedmark/protocol';
import {
  AUDIT_LEDGER_PAGE_MAX,
  AUDIT_PROOFS_MAX,
  AuditConsentsSchema,
  AuditIdentitySchema,
  AuditLedgerPageSchema,
  AuditNonMembershipSchema,
} from '../api/routes-audit.ts';
import { BudgetSchema } from '../api/schemas.ts';
import type { AuditFetch } from './coordinator-view.ts';
import type { LedgerRowForm, LedgerSource, StoredCheckpointForm } from './source.ts';

const HeadSchema = z.object({
  checkpoint: CheckpointSignedSchema,
  stored: z.array(
    z.object({
      id: z.number().int(),
      checkpoint: CheckpointSignedSchema,
      receipt: CheckpointReceiptSchema.nullable(),
    })
  ),
});

export interface HttpSourceOptions {
  /** The node's local API, e.g. http://127.0.0.1:8701 */
  url: string;
  /** An auditor (or admin) token from the node's api-tokens.json. */
  token: string;
  fetch?: AuditFetch;
  /** Rows per ledger page (default and maximum 5000). */
  pageSize?: number;
}

/**
 * The node's auditor API as audit input (docs/audit.md): no database access, read-only routes
 * only. Every answer is zod-validated; nothing in it is trusted until the audit re-hashes the
 * rows and re-verifies signatures and proofs. Private payloads are never served, so their
 * commitments cannot be checked this way (the report says so).
 */
export function httpLedgerSource(o: HttpSourceOptions): LedgerSource {
  const base = o.url.endsWith('/') ? o.url : `${o.url}/`;
  const doFetch: AuditFetch = o.fetch ?? ((u, i) => fetch(u, i));
  const pageSize = Math.min(o.pageSize ?? AUDIT_LEDGER_PAGE_MAX, AUDIT_LEDGER_PAGE_MAX);
  const get = async <S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> => {
    let res: Response;
    try {
      res = await doFetch(new URL(path, base).href, {
        headers: { authorization: `Bearer ${o.token}`, accept: 'application/json' },
      });
    } catch (err) {
      throw new ProtocolError(
        'BAD_REQUEST',
        `node API ${path}: ${err instanceof Error ? err.message : String(err)}`
      );
    }
    const text = await res.text();
    if (res.status !== 200)
      throw new ProtocolError(
        'BAD_REQUEST',
        `node API ${path}: HTTP ${res.status} ${text.slice(0, 200)}`
      );
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ProtocolError('BAD_REQUEST', `node API ${path}: the answer is not JSON`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw new ProtocolError(
        'BAD_REQUEST',
        `node API ${path}: malformed answer (field ${parsed.error.issues[0]?.path.join('.') || '(root)'})`
      );
    return parsed.data;
  };
  let head: Promise<z.infer<typeof HeadSchema>> | null = null;
  const checkpointRoute = () => (head ??= get('v1/ledger/checkpoint', HeadSchema));

  return {
    kind: 'api',
    label: o.url,
    facts: async () => {
      const id = await get('v1/audit/identity', AuditIdentitySchema);
      return {
        name: id.name,
        signingKey: hexToBytes(id.signingKey),
        coordinatorKey: id.coordinatorKey ? hexToBytes(id.coordinatorKey) : null,
      };
    },
    async *rows(): AsyncGenerator<LedgerRowForm> {
      let from: number | null = 0;
      while (from !== null) {
        const p: z.infer<typeof AuditLedgerPageSchema> = await get(
          `v1/audit/ledger?from=${from}&limit=${pageSize}`,
          AuditLedgerPageSchema
        );
        for (const r of p.entries) yield { ...r, private: null };
        // A page must move forward, or a hostile node could keep the auditor looping.
        const last = p.entries.at(-1);
        if (p.next !== null && (last === undefined || p.next <= last.seq))
          throw new ProtocolError(
            'BAD_REQUEST',
            `node API v1/audit/ledger: next ${p.next} does not move past seq ${last?.seq ?? from}`
          );
        from = p.next;
      }
    },
    checkpoints: async (): Promise<StoredCheckpointForm[]> => (await checkpointRoute()).stored,
    nodeHead: async () => {
      const h = (await checkpointRoute()).checkpoint;
      return { size: h.treeSize, root: h.rootHash, signed: h };
    },
    policy: () => get('v1/policy', PolicySchema),
    consents: async () => (await get('v1/audit/consents', AuditConsentsSchema)).consents,
    budgets: async () => (await get('v1/budget', BudgetSchema)).budgets,
    units: {
      nonMembership: async (seq, pseudonyms) => {
        const out: unknown[] = [];
        for (let i = 0; i < pseudonyms.length; i += AUDIT_PROOFS_MAX) {
          const batch = pseudonyms.slice(i, i + AUDIT_PROOFS_MAX);
          const r = await get(
            `v1/audit/releases/${seq}/non-membership?pseudonyms=${batch.join(',')}`,
            AuditNonMembershipSchema
          );
          if (r.releaseSeq !== seq || r.proofs.length !== batch.length)
            throw new ProtocolError(
              'BAD_REQUEST',
              `node API: expected ${batch.length} proof(s) for release ${seq}`
            );
          out.push(...r.proofs);
        }
        return out;
      },
    },
  };
}
