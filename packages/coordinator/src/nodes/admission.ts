import {
  AdmitNodeRequestSchema,
  ENROLL_DOMAIN,
  EnrollRequestSchema,
  EnrollmentTokenRequestSchema,
  ProtocolError,
  bytesToHex,
  enrollSigningPayload,
  hexToBytes,
  randomBytes,
  sha256Hex,
  verifyCanonical,
  type EnrollResponse,
  type EnrollmentTokenResponse,
  type NodeInfo,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { rotateKey } from '../keys/epochs.ts';
import type { NodeRecord } from '../store/index.ts';

export function nodeToWire(n: NodeRecord): NodeInfo {
  return {
    name: n.name,
    signingKey: n.signingKey,
    boxKey: n.boxKey,
    admittedAt: n.admittedAt,
    lastSeenAt: n.lastSeenAt,
  };
}

function insertMember(ctx: Ctx, name: string, signingKey: string, boxKey: string): NodeRecord {
  const existing = ctx.store.nodes.get(name);
  if (existing) {
    if (existing.signingKey === signingKey && existing.boxKey === boxKey && !existing.removedAt)
      return existing;
    throw new ProtocolError('CONFLICT', `a node named ${name} is already known with other keys`);
  }
  const other = ctx.store.nodes.bySigningKey(signingKey);
  if (other)
    throw new ProtocolError('CONFLICT', `signing key already belongs to node ${other.name}`);
  ctx.store.nodes.insert({ name, signingKey, boxKey, admittedAt: ctx.iso() });
  // Membership changed: a new HE key for the new member set
  // (docs/federation-protocol.md "Key ceremony").
  rotateKey(ctx, `${name} admitted`);
  return ctx.store.nodes.get(name) as NodeRecord;
}

/** Operator admits a node by its public keys. Re-admitting the same keys is a no-op. */
export function admitNode(ctx: Ctx, body: unknown): NodeInfo {
  const req = AdmitNodeRequestSchema.parse(body);
  return nodeToWire(
    ctx.store.transaction(() => insertMember(ctx, req.name, req.signingKey, req.boxKey))
  );
}

/** Removes a node from the federation; its requests are refused and a new key epoch starts. */
export function removeNode(ctx: Ctx, name: string): NodeInfo {
  return ctx.store.transaction(() => {
    const n = ctx.store.nodes.get(name);
    if (!n || n.removedAt) throw new ProtocolError('NOT_FOUND', `no admitted node named ${name}`);
    ctx.store.nodes.remove(name, ctx.iso());
    rotateKey(ctx, `${name} removed`);
    return nodeToWire(n);
  });
}

/** A one-time token for node `name` (the raw token is returned once; only its hash is stored). */
export function createEnrollmentToken(ctx: Ctx, body: unknown): EnrollmentTokenResponse {
  const req = EnrollmentTokenRequestSchema.parse(body);
  if (ctx.store.nodes.get(req.name))
    throw new ProtocolError('CONFLICT', `a node named ${req.name} is already admitted`);
  const token = bytesToHex(randomBytes(32));
  const expiresAt = ctx.now() + req.ttlMs;
  ctx.store.nodes.insertToken(sha256Hex(token), req.name, expiresAt);
  return { name: req.name, token, expiresAt: new Date(expiresAt).toISOString() };
}

/** A node presents its token and its keys, signed with the signing key it enrolls. */
export function enroll(ctx: Ctx, body: unknown): EnrollResponse {
  const req = EnrollRequestSchema.parse(body);
  if (
    !verifyCanonical(
      ENROLL_DOMAIN,
      enrollSigningPayload(req),
      req.signature,
      hexToBytes(req.signingKey)
    )
  ) {
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      'enrollment signature does not verify with the presented signing key'
    );
  }
  return ctx.store.transaction(() => {
    const taken = ctx.store.nodes.takeToken(sha256Hex(req.token), ctx.now(), ctx.iso());
    if ('refused' in taken) throw new ProtocolError('UNAUTHORIZED', taken.refused);
    if (taken.name !== req.name)
      throw new ProtocolError('UNAUTHORIZED', `enrollment token was issued for another node name`);
    insertMember(ctx, req.name, req.signingKey, req.boxKey);
    ctx.log(`node ${req.name} enrolled with a token`);
    return {
      version: 1 as const,
      name: req.name,
      coordinatorKey: bytesToHex(ctx.coordinatorKey.publicKey),
    };
  });
}
