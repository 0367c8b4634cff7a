import type { z } from 'zod';
import {
  InclusionProofSchema,
  NodeCheckpointListSchema,
  ProtocolError,
  TransparencyHeadSchema,
  type InclusionProof,
  type LoggedCheckpoint,
  type TransparencyHead,
} from '@fedmark/protocol';

export type AuditFetch = (
  url: string,
  init: { headers: Record<string, string> }
) => Promise<Response>;

export interface CoordinatorView {
  head: TransparencyHead;
  checkpoints: LoggedCheckpoint[];
  inclusion(logIndex: number, treeSize: number): Promise<InclusionProof>;
}

/**
 * Reads what the coordinator's transparency log holds about one node (operator token for now;
 * docs/audit.md). Every answer is zod-validated; nothing here is trusted until checked against
 * signatures and proofs by the caller.
 */
export async function readCoordinatorView(
  url: string,
  token: string,
  node: string,
  doFetch: AuditFetch = (u, i) => fetch(u, i)
): Promise<CoordinatorView> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const get = async <S extends z.ZodType>(path: string, schema: S): Promise<z.infer<S>> => {
    const res = await doFetch(new URL(path, base).href, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    });
    const text = await res.text();
    if (res.status !== 200)
      throw new ProtocolError(
        'BAD_REQUEST',
        `coordinator ${path}: HTTP ${res.status} ${text.slice(0, 200)}`
      );
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new ProtocolError(
        'BAD_REQUEST',
        `coordinator ${path}: malformed answer (${parsed.error.issues[0]?.path.join('.') ?? ''})`
      );
    return parsed.data;
  };
  const head = await get('v1/transparency/head', TransparencyHeadSchema);
  const { checkpoints } = await get(
    `v1/transparency/nodes/${encodeURIComponent(node)}/checkpoints`,
    NodeCheckpointListSchema
  );
  return {
    head,
    checkpoints,
    inclusion: (logIndex, treeSize) =>
      get(
        `v1/transparency/proof/inclusion?index=${logIndex}&size=${treeSize}`,
        InclusionProofSchema
      ),
  };
}
