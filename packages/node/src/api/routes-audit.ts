import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  NonMembershipProofSchema,
  PURPOSES,
  ProtocolError,
  bytesToHex,
  hexToBytes,
  type NonMembershipProof,
} from '@fedmark/protocol';
import type Database from 'better-sqlite3';
import { consentSummary } from '../consent/index.ts';
import { loadCoordinatorKey } from '../federation/enroll.ts';
import type { LedgerRowForm } from '../audit/source.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { hasReleaseUnits, releaseNonMemberships } from '../release/index.ts';
import type { ApiEnv } from './auth.ts';
import { BEARER, WHY, errors, json } from './_responses.ts';
import { intParam } from './schemas.ts';

// Read-only routes (both roles) that let `fedmark audit verify --node URL` run the whole audit
// without database access (docs/audit.md). Together with /v1/ledger/checkpoint (stored
// checkpoints and receipts), /v1/policy and /v1/budget they carry everything the audit reads.
// None serves personal data: rows come without their private payloads, units as proofs.

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** Largest page of ledger rows: ~1-2 MB of JSON. */
export const AUDIT_LEDGER_PAGE_MAX = 5000;
/** Most pseudonyms per non-membership request (each proof is ~2 x 20 hashes at 1M units). */
export const AUDIT_PROOFS_MAX = 64;

export const AuditIdentitySchema = z
  .object({
    version: z.literal(1),
    name: z.string(),
    signingKey: Hex64,
    coordinatorKey: Hex64.nullable(),
  })
  .openapi('AuditIdentity');

/** A ledger row as stored: `body` is the stored JSON text, whose parse the entry hash covers. */
export const AuditLedgerRowSchema = z
  .object({
    seq: z.number().int().min(0),
    type: z.string().max(64),
    at: z.string().max(64),
    subject: z.string().max(64).nullable(),
    body: z.string(),
    commitment: z.string().max(64).nullable(),
    prevHash: z.string().max(64),
    hash: z.string().max(64),
  })
  .openapi('AuditLedgerRow');

export const AuditLedgerPageSchema = z
  .object({
    version: z.literal(1),
    entries: z.array(AuditLedgerRowSchema),
    next: z.number().int().min(0).nullable(),
  })
  .openapi('AuditLedgerPage');

export const AuditConsentsSchema = z
  .object({
    version: z.literal(1),
    at: z.string(),
    consents: z.array(
      z.object({
        purpose: z.enum(PURPOSES),
        inForce: z.number().int().min(0),
        revoked: z.number().int().min(0),
      })
    ),
  })
  .openapi('AuditConsents');

export const AuditNonMembershipSchema = z
  .object({
    version: z.literal(1),
    releaseSeq: z.number().int().min(0),
    /** One per requested pseudonym, in order; null = the pseudonym IS among the release's units. */
    proofs: z.array(NonMembershipProofSchema.nullable()),
  })
  .openapi('AuditNonMembership');

const PageQuery = z.object({
  from: intParam(0, Number.MAX_SAFE_INTEGER)
    .default(0)
    .openapi({ description: 'first seq', example: 0 }),
  limit: intParam(1, AUDIT_LEDGER_PAGE_MAX)
    .default(1000)
    .openapi({ description: `rows per page (at most ${AUDIT_LEDGER_PAGE_MAX})` }),
});
const ProofQuery = z.object({
  pseudonyms: z
    .string()
    .regex(/^[0-9a-f]{64}(,[0-9a-f]{64})*$/, 'expected comma-separated 64-hex pseudonyms')
    .refine(
      (s) => s.split(',').length <= AUDIT_PROOFS_MAX,
      `at most ${AUDIT_PROOFS_MAX} pseudonyms`
    )
    .openapi({
      description: `comma-separated keyed pseudonyms (64 hex each, at most ${AUDIT_PROOFS_MAX})`,
    }),
});
const SeqParam = z.object({
  seq: intParam(0, Number.MAX_SAFE_INTEGER).openapi({
    param: { name: 'seq', in: 'path' },
    example: 12,
  }),
});

/** A page row is the audit's LedgerRowForm without the private payload (the API serves no personal data). */
type RowOut = Omit<LedgerRowForm, 'private'>;

export function registerAuditRoutes(
  app: OpenAPIHono<ApiEnv>,
  o: { dir: string; db: Database.Database; identity: NodeIdentity }
): void {
  const PAGE_SQL =
    'SELECT seq, type, at, subject, body, commitment, prev_hash AS prevHash, hash FROM ledger WHERE seq >= ? ORDER BY seq LIMIT ?';

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit/identity',
      operationId: 'getAuditIdentity',
      tags: ['audit'],
      summary: "the node's name, checkpoint signing key and the coordinator key it enrolled with",
      security: BEARER,
      responses: {
        200: json(AuditIdentitySchema, 'public identity'),
        ...errors({ 401: WHY.token }),
      },
    }),
    (c) => {
      const coordinatorKey = loadCoordinatorKey(o.dir);
      return c.json(
        {
          version: 1 as const,
          name: o.identity.name,
          signingKey: bytesToHex(o.identity.signing.publicKey),
          coordinatorKey: coordinatorKey ? bytesToHex(coordinatorKey) : null,
        },
        200
      );
    }
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit/ledger',
      operationId: 'listAuditLedgerRows',
      tags: ['audit'],
      summary:
        'ledger rows as stored (body as its stored JSON text), in seq order, paged; no private payloads',
      security: BEARER,
      request: { query: PageQuery },
      responses: {
        200: json(
          AuditLedgerPageSchema,
          'one page; `next` is the seq to ask for next, null at the end'
        ),
        ...errors({ 400: WHY.query, 401: WHY.token }),
      },
    }),
    (c) => {
      const q = c.req.valid('query');
      // One more row than asked tells whether another page follows.
      const rows = o.db.prepare(PAGE_SQL).all(q.from, q.limit + 1) as RowOut[];
      const more = rows.length > q.limit;
      const entries = more ? rows.slice(0, q.limit) : rows;
      return c.json(
        { version: 1 as const, entries, next: more ? (rows[q.limit] as RowOut).seq : null },
        200
      );
    }
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit/consents',
      operationId: 'getAuditConsents',
      tags: ['audit'],
      summary: 'consents in force and revoked per purpose, now (counts only)',
      security: BEARER,
      responses: {
        200: json(AuditConsentsSchema, 'counts per purpose'),
        ...errors({ 401: WHY.token }),
      },
    }),
    (c) => {
      const at = new Date();
      return c.json(
        { version: 1 as const, at: at.toISOString(), consents: consentSummary(o.db, at) },
        200
      );
    }
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/audit/releases/{seq}/non-membership',
      operationId: 'getReleaseNonMembership',
      tags: ['audit'],
      summary:
        "non-membership proofs of pseudonyms in the units release entry `seq` committed to (its ledger body's unitsRoot)",
      security: BEARER,
      request: { params: SeqParam, query: ProofQuery },
      responses: {
        200: json(AuditNonMembershipSchema, 'one proof per pseudonym (null: it is a member)'),
        ...errors({
          400: 'a seq that is not an integer, or a malformed pseudonym list; the message names the field (BAD_REQUEST)',
          401: WHY.token,
          404: 'no stored units for this seq: not a release entry, or one made without a units commitment (NOT_FOUND)',
          409: "the release's stored unit list is damaged (CONFLICT); an auditor reports it",
        }),
      },
    }),
    (c) => {
      const { seq } = c.req.valid('param');
      const pseudonyms = c.req.valid('query').pseudonyms.split(',');
      if (!hasReleaseUnits(o.db, seq))
        throw new ProtocolError(
          'NOT_FOUND',
          `release entry ${seq}: no stored units (not a release, or one made without a units commitment)`
        );
      let proofs: (NonMembershipProof | null)[];
      try {
        proofs = releaseNonMemberships(o.db, seq, pseudonyms.map(hexToBytes));
      } catch (err) {
        // A damaged stored list: say so rather than a bare 500, the auditor reports it.
        if (err instanceof RangeError) throw new ProtocolError('CONFLICT', err.message);
        throw err;
      }
      return c.json({ version: 1 as const, releaseSeq: seq, proofs }, 200);
    }
  );
}
