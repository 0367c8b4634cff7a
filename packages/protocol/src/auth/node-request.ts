import { ProtocolError } from '../errors.ts';
import { bytesToHex, randomBytes, sha256Hex } from '../hashing.ts';
import { signCanonical, verifyCanonical } from '../signing.ts';
import { NODE_REQUEST_DOMAIN } from '../schemas/federation.ts';
import type { Canonical } from '../encoding.ts';

/** Header names of a signed node request (docs/federation-protocol.md "Authenticating node requests"). */
export const NODE_HEADER = 'x-fedmark-node';
export const TIMESTAMP_HEADER = 'x-fedmark-timestamp';
export const NONCE_HEADER = 'x-fedmark-nonce';
export const SIGNATURE_HEADER = 'x-fedmark-signature';

/**
 * Accepted clock skew either way. Nonces must be remembered at least this long (twice is safe):
 * a request older than the window is refused as STALE, so its nonce can be forgotten.
 */
export const REQUEST_WINDOW_MS = 5 * 60 * 1000;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const NONCE_RE = /^[0-9a-f]{32}$/;
const TIMESTAMP_RE = /^[0-9]{1,16}$/;

export interface NodeRequestPayloadInput {
  method: string;
  path: string;
  bodyHash: string;
  timestamp: number;
  nonce: string;
  node: string;
}

/** The exact value signed under domain `node-request`. Method is upper-cased; path includes the query. */
export function nodeRequestSigningPayload(p: NodeRequestPayloadInput): Canonical {
  return {
    method: p.method.toUpperCase(),
    path: p.path,
    bodyHash: p.bodyHash,
    timestamp: p.timestamp,
    nonce: p.nonce,
    node: p.node,
  };
}

function bodyHashOf(body: Uint8Array | string | undefined): string {
  return sha256Hex(body ?? '');
}

export interface SignNodeRequestArgs {
  method: string;
  /** Path with query string, exactly as sent (e.g. `/v1/node/tasks?wait=0`). */
  path: string;
  /** Raw body bytes or text; empty for GET. */
  body?: Uint8Array | string;
  node: string;
  /** Ed25519 secret key (64 bytes). */
  secretKey: Uint8Array;
  /** Milliseconds since the epoch; default Date.now(). */
  now?: number;
  /** 16 bytes; default cryptographically random. Tests pin it. */
  nonce?: Uint8Array;
}

/** Builds the four `x-fedmark-*` headers for a node request. */
export function signNodeRequest(args: SignNodeRequestArgs): Record<string, string> {
  if (!NAME_RE.test(args.node))
    throw new TypeError(`"node" expected a node name, got ${JSON.stringify(args.node)}`);
  if (!args.path.startsWith('/'))
    throw new TypeError(`"path" must start with "/", got ${JSON.stringify(args.path)}`);
  const nonceBytes = args.nonce ?? randomBytes(16);
  if (nonceBytes.length !== 16)
    throw new RangeError(
      `"nonce" expected Uint8Array of length 16, got length=${nonceBytes.length}`
    );
  const timestamp = Math.trunc(args.now ?? Date.now());
  const nonce = bytesToHex(nonceBytes);
  const payload = nodeRequestSigningPayload({
    method: args.method,
    path: args.path,
    bodyHash: bodyHashOf(args.body),
    timestamp,
    nonce,
    node: args.node,
  });
  return {
    [NODE_HEADER]: args.node,
    [TIMESTAMP_HEADER]: String(timestamp),
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: signCanonical(NODE_REQUEST_DOMAIN, payload, args.secretKey),
  };
}

export interface VerifyNodeRequestArgs {
  method: string;
  path: string;
  body: Uint8Array | string | undefined;
  /** Header lookup (case-insensitive at the caller) or a plain lower-case record. */
  headers: Record<string, string | undefined> | ((name: string) => string | undefined | null);
  /** Signing key of an admitted node, undefined if the name is unknown. */
  publicKeyFor: (node: string) => Uint8Array | undefined;
  now: number;
  /**
   * MUST atomically record (node, nonce) and return true if it was already recorded. It is
   * called only for authentic, fresh requests, so a forger cannot burn a node's nonces.
   */
  seenNonce: (node: string, nonce: string) => boolean;
  /**
   * The result of checkNodeRequestHeaders when the server already ran it before reading the
   * body: the headers are then not parsed, nor the key looked up, a second time.
   */
  checked?: NodeRequestHeaders;
}

type HeaderLookup = VerifyNodeRequestArgs['headers'];

/** The signed-request headers, checked for presence and form, and the sender's signing key. */
export interface NodeRequestHeaders {
  node: string;
  key: Uint8Array;
  ts: string;
  nonce: string;
  signature: string;
}

/**
 * Checks everything about a node request that does not need its body: the four headers are
 * present and well formed and name an admitted node. A server calls it before reading the
 * body, so an unsigned or unknown sender costs no more than its headers. Throws ProtocolError
 * UNAUTHORIZED.
 */
export function checkNodeRequestHeaders(
  headers: HeaderLookup,
  publicKeyFor: (node: string) => Uint8Array | undefined
): NodeRequestHeaders {
  const get =
    typeof headers === 'function'
      ? headers
      : (n: string) => (headers as Record<string, string | undefined>)[n];
  const node = get(NODE_HEADER) ?? undefined;
  const ts = get(TIMESTAMP_HEADER) ?? undefined;
  const nonce = get(NONCE_HEADER) ?? undefined;
  const signature = get(SIGNATURE_HEADER) ?? undefined;
  if (!node || !ts || !nonce || !signature) {
    throw new ProtocolError(
      'UNAUTHORIZED',
      `signed request headers missing: need ${NODE_HEADER}, ${TIMESTAMP_HEADER}, ${NONCE_HEADER}, ${SIGNATURE_HEADER}`
    );
  }
  if (!NAME_RE.test(node))
    throw new ProtocolError('UNAUTHORIZED', `header ${NODE_HEADER} is not a node name`);
  const key = publicKeyFor(node);
  if (!key)
    throw new ProtocolError('UNAUTHORIZED', `node "${node}" is not admitted to this federation`);
  if (!TIMESTAMP_RE.test(ts))
    throw new ProtocolError(
      'UNAUTHORIZED',
      `header ${TIMESTAMP_HEADER} must be milliseconds since the epoch`
    );
  if (!NONCE_RE.test(nonce))
    throw new ProtocolError(
      'UNAUTHORIZED',
      `header ${NONCE_HEADER} must be 32 lower-case hex characters`
    );
  return { node, key, ts, nonce, signature };
}

/**
 * Verifies a signed node request. Throws ProtocolError UNAUTHORIZED (missing headers, unknown
 * node), INVALID_SIGNATURE, STALE (clock off by more than REQUEST_WINDOW_MS) or REPLAYED.
 */
export function verifyNodeRequest(args: VerifyNodeRequestArgs): {
  node: string;
  timestamp: number;
  nonce: string;
} {
  const { node, key, ts, nonce, signature } =
    args.checked ?? checkNodeRequestHeaders(args.headers, args.publicKeyFor);
  const timestamp = Number(ts);
  const payload = nodeRequestSigningPayload({
    method: args.method,
    path: args.path,
    bodyHash: bodyHashOf(args.body),
    timestamp,
    nonce,
    node,
  });
  if (!verifyCanonical(NODE_REQUEST_DOMAIN, payload, signature, key)) {
    throw new ProtocolError(
      'INVALID_SIGNATURE',
      `request signature of node "${node}" does not verify`
    );
  }
  if (Math.abs(args.now - timestamp) > REQUEST_WINDOW_MS) {
    throw new ProtocolError(
      'STALE',
      `request timestamp is ${Math.round((args.now - timestamp) / 1000)} s off the coordinator clock (window ${REQUEST_WINDOW_MS / 1000} s)`
    );
  }
  if (args.seenNonce(node, nonce))
    throw new ProtocolError('REPLAYED', `nonce ${nonce} was already used by node "${node}"`);
  return { node, timestamp, nonce };
}
