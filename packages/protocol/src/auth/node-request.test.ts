import { describe, expect, it } from 'vitest';
import {
  signNodeRequest,
  verifyNodeRequest,
  REQUEST_WINDOW_MS,
  NONCE_HEADER,
} from './node-request.ts';
import { signingKeyPairFromSeed } from '../signing.ts';
import { ProtocolError } from '../errors.ts';

const alice = signingKeyPairFromSeed(new Uint8Array(32).fill(1));
const mallory = signingKeyPairFromSeed(new Uint8Array(32).fill(2));
const NOW = 1_790_000_000_000;
const NONCE = new Uint8Array(16).fill(7);
const body = JSON.stringify({ version: 1, hello: 'world' });

function headersFor(over: Partial<Parameters<typeof signNodeRequest>[0]> = {}) {
  return signNodeRequest({
    method: 'post',
    path: '/v1/node/x?y=1',
    body,
    node: 'alice',
    secretKey: alice.secretKey,
    now: NOW,
    nonce: NONCE,
    ...over,
  });
}

function verify(
  headers: Record<string, string>,
  over: Partial<Parameters<typeof verifyNodeRequest>[0]> = {}
) {
  const seen = new Set<string>();
  return verifyNodeRequest({
    method: 'POST',
    path: '/v1/node/x?y=1',
    body: new TextEncoder().encode(body),
    headers,
    publicKeyFor: (n) => (n === 'alice' ? alice.publicKey : undefined),
    now: NOW + 1000,
    seenNonce: (n, x) => seen.has(`${n}/${x}`) || (seen.add(`${n}/${x}`), false),
    ...over,
  });
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return 'none';
}

describe('signed node requests', () => {
  it('produces a frozen signature for fixed key, time and nonce (string and bytes bodies sign alike)', () => {
    const h = headersFor();
    expect(h).toEqual({
      'x-fedmark-node': 'alice',
      'x-fedmark-timestamp': String(NOW),
      'x-fedmark-nonce': '07070707070707070707070707070707',
      // Frozen from a reviewed run: a change here means node and coordinator disagree on bytes.
      'x-fedmark-signature':
        'f704daad8daf02278c74f1bf79cfcd91282b44707bac707278eac3f704ea0d160daa22386889c5288bd510d26b15b92e577a65d46833f6b9d3b0c3b97417a108',
    });
    expect(headersFor({ body: new TextEncoder().encode(body) })).toEqual(h);
    expect(verify(h)).toEqual({
      node: 'alice',
      timestamp: NOW,
      nonce: '07070707070707070707070707070707',
    });
  });

  it('refuses an unknown node and missing headers with UNAUTHORIZED', () => {
    const h = signNodeRequest({
      method: 'POST',
      path: '/v1/node/x?y=1',
      body,
      node: 'mallory',
      secretKey: mallory.secretKey,
      now: NOW,
    });
    expect(codeOf(() => verify(h))).toBe('UNAUTHORIZED');
    const { [NONCE_HEADER]: _n, ...missing } = headersFor();
    expect(codeOf(() => verify(missing))).toBe('UNAUTHORIZED');
  });

  it('refuses forgeries: other key, other body, other path, other method', () => {
    expect(codeOf(() => verify(headersFor({ secretKey: mallory.secretKey })))).toBe(
      'INVALID_SIGNATURE'
    );
    expect(codeOf(() => verify(headersFor(), { body: body + ' ' }))).toBe('INVALID_SIGNATURE');
    expect(codeOf(() => verify(headersFor(), { path: '/v1/node/x?y=2' }))).toBe(
      'INVALID_SIGNATURE'
    );
    expect(codeOf(() => verify(headersFor(), { method: 'PUT' }))).toBe('INVALID_SIGNATURE');
  });

  it('refuses timestamps outside the window either way with STALE', () => {
    expect(codeOf(() => verify(headersFor({ now: NOW - REQUEST_WINDOW_MS - 2000 })))).toBe('STALE');
    expect(codeOf(() => verify(headersFor({ now: NOW + REQUEST_WINDOW_MS + 2000 })))).toBe('STALE');
    expect(verify(headersFor({ now: NOW - REQUEST_WINDOW_MS + 2000 })).node).toBe('alice');
  });

  it('refuses a replayed nonce with REPLAYED and never records nonces of forged requests', () => {
    const seen = new Set<string>();
    const seenNonce = (n: string, x: string) =>
      seen.has(`${n}/${x}`) || (seen.add(`${n}/${x}`), false);
    const forged = headersFor({ secretKey: mallory.secretKey });
    expect(codeOf(() => verify(forged, { seenNonce }))).toBe('INVALID_SIGNATURE');
    expect(seen.size).toBe(0);
    expect(verify(headersFor(), { seenNonce }).node).toBe('alice');
    expect(codeOf(() => verify(headersFor(), { seenNonce }))).toBe('REPLAYED');
  });

  it('checks its arguments with labelled errors', () => {
    expect(() => headersFor({ node: 'a/b' })).toThrow(TypeError);
    expect(() => headersFor({ nonce: new Uint8Array(3) })).toThrow(
      '"nonce" expected Uint8Array of length 16, got length=3'
    );
  });
});
