import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.ts';
import { HOSTILE_POINTS, torsionVariant } from './_hostile-points.ts';
import { x25519 } from './_x25519.ts';
import { PSI_MAX_SET_SIZE, type PsiLimits } from './psi-limits.ts';
import { hashMatchingKeys } from './hash-to-group.ts';
import { normaliseEmail } from './normalise-key.ts';
import {
  type PsiReply,
  psiInitiatorCount,
  psiInitiatorRequest,
  psiResponderReply,
  uniqueMatchingKeys,
} from './psi-cardinality.ts';
import { PsiSecret } from './psi-secret.ts';

const FED = 'fed-test';
const emails = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}@example.com`);
const hashed = (keys: string[]) => hashMatchingKeys(FED, 'email', keys);
const chunks = (packed: Uint8Array) =>
  Array.from({ length: packed.length / 32 }, (_, i) => packed.subarray(i * 32, i * 32 + 32));
const hexes = (packed: Uint8Array) => chunks(packed).map(bytesToHex);

/** Two in-memory parties, messages passed as bytes, exactly as they would travel. */
function runPsi(xs: string[], ys: string[], limits?: PsiLimits) {
  const a = PsiSecret.random();
  const b = PsiSecret.random();
  const request = psiInitiatorRequest({ secret: a, ownPoints: hashed(xs), limits });
  const reply = psiResponderReply({ secret: b, request, ownPoints: hashed(ys), limits });
  const result = psiInitiatorCount({ secret: a, requestSize: xs.length, reply, limits });
  return { result, request, reply, a, b };
}

function protocolError(f: () => unknown): ProtocolError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe('PSI cardinality: exact counts', () => {
  it.each([
    ['disjoint', emails('a', 12), emails('b', 9), 0],
    [
      'partial',
      [...emails('a', 20), ...emails('s', 7)],
      [...emails('s', 7), ...emails('b', 13)],
      7,
    ],
    ['full', emails('s', 15), emails('s', 15), 15],
    ['A inside B', emails('s', 5), [...emails('s', 5), ...emails('b', 11)], 5],
    ['B inside A', [...emails('s', 6), ...emails('a', 10)], emails('s', 6), 6],
    ['A empty', [], emails('b', 4), 0],
    ['B empty', emails('a', 4), [], 0],
  ])('%s', (_name, xs, ys, expected) => {
    const { result } = runPsi(xs, ys);
    expect(result).toEqual({
      intersectionSize: expected,
      initiatorSetSize: xs.length,
      responderSetSize: ys.length,
    });
  });

  it('matches on normalised keys: spellings of one address meet', () => {
    const xs = ['Alice@Example.com ', 'bob@example.com'].map(normaliseEmail);
    const ys = ['alice@example.COM', 'carol@example.com'].map(normaliseEmail);
    expect(runPsi(xs, ys).result.intersectionSize).toBe(1);
  });

  it('does not match across federations', () => {
    const keys = emails('s', 5);
    const a = PsiSecret.random();
    const b = PsiSecret.random();
    const request = psiInitiatorRequest({
      secret: a,
      ownPoints: hashMatchingKeys('fed-1', 'email', keys),
    });
    const ownPoints = hashMatchingKeys('fed-2', 'email', keys);
    const reply = psiResponderReply({ secret: b, request, ownPoints });
    expect(psiInitiatorCount({ secret: a, requestSize: 5, reply }).intersectionSize).toBe(0);
  });
});

describe('PSI cardinality: what crosses the wire', () => {
  const xs = [...emails('a', 10), ...emails('s', 10)];
  const ys = [...emails('s', 10), ...emails('b', 10)];

  it('A receives no raw key and no unblinded point of B', () => {
    const { reply } = runPsi(xs, ys);
    const wire = [reply.doubleBlinded, reply.responderBlinded];
    const hY = new Set(hexes(hashed(ys)));
    const hX = new Set(hexes(hashed(xs)));
    for (const part of wire) {
      expect(part.length % 32).toBe(0);
      const latin1 = String.fromCharCode(...part);
      for (const y of ys) expect(latin1.includes(y)).toBe(false);
      for (const h of hexes(part)) {
        expect(hY.has(h)).toBe(false);
        expect(hX.has(h)).toBe(false);
      }
    }
    // The reply is the only thing A gets from B, and it carries exactly these two fields.
    expect(Object.keys(reply).sort()).toEqual(['doubleBlinded', 'responderBlinded']);
  });

  it("B receives only blinded points: no raw key and no H(x) of A's", () => {
    const { request } = runPsi(xs, ys);
    const hX = new Set(hexes(hashed(xs)));
    expect(request.length).toBe(32 * xs.length);
    for (const h of hexes(request)) expect(hX.has(h)).toBe(false);
  });

  it("B shuffles the double-blinded set, so positions do not say which of A's matched", () => {
    const { request, reply, b } = runPsi(xs, ys);
    const inOrder = chunks(request).map((p) => bytesToHex(x25519(b._privateKey(), p)));
    const returned = hexes(reply.doubleBlinded);
    expect([...returned].sort()).toEqual([...inOrder].sort()); // same set ...
    expect(returned).not.toEqual(inOrder); // ... not in A's order (false failure 1/20!)
  });

  it('fresh secrets make every run look different', () => {
    const one = runPsi(xs, ys);
    const two = runPsi(xs, ys);
    const first = new Set([...hexes(one.request), ...hexes(one.reply.responderBlinded)]);
    for (const h of [...hexes(two.request), ...hexes(two.reply.responderBlinded)]) {
      expect(first.has(h)).toBe(false);
    }
    expect(two.result).toEqual(one.result);
  });
});

describe('PSI cardinality: duplicates', () => {
  it('refuses duplicate own keys with a RangeError naming the position', () => {
    const keys = ['a@x.org', 'b@x.org', 'a@x.org'];
    expect(() =>
      psiInitiatorRequest({ secret: PsiSecret.random(), ownPoints: hashed(keys) })
    ).toThrow(new RangeError('"ownPoints" point 2 repeats an earlier point'));
  });

  it('uniqueMatchingKeys merges them first and reports how many', () => {
    const { keys, duplicates } = uniqueMatchingKeys(['a@x.org', 'b@x.org', 'a@x.org', 'a@x.org']);
    expect(keys).toEqual(['a@x.org', 'b@x.org']);
    expect(duplicates).toBe(2);
    expect(runPsi(keys, ['a@x.org']).result.intersectionSize).toBe(1);
  });

  it('refuses a peer request that repeats a point (it would inflate the count)', () => {
    const req = psiInitiatorRequest({
      secret: PsiSecret.random(),
      ownPoints: hashed(emails('a', 3)),
    });
    const dup = new Uint8Array([...req, ...req.subarray(0, 32)]);
    const err = protocolError(() =>
      psiResponderReply({
        secret: PsiSecret.random(),
        request: dup,
        ownPoints: hashed(['b@x.org']),
      })
    );
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe('psi request: point 3 repeats an earlier point');
  });
});

const FAULT_MESSAGES = {
  non_canonical: 'is not a canonical u-coordinate',
  small_order: 'has small order',
  twist: 'is not on curve25519 (it is on the twist)',
} as const;
const HOSTILE = HOSTILE_POINTS.map(
  (h) => [h.name, hexToBytes(h.hex), FAULT_MESSAGES[h.fault]] as const
);
const splice = (packed: Uint8Array, at: number, point: Uint8Array) => {
  const out = new Uint8Array(packed);
  out.set(point, at * 32);
  return out;
};

// The attacks first: a peer's point that is on the twist, of small order, non-canonical, or a
// small-order variant of another point. Each is refused before our secret touches it.
describe('PSI cardinality: hostile points', () => {
  const b = PsiSecret.random();
  const ownPoints = hashed(emails('b', 3));
  const good = psiInitiatorRequest({
    secret: PsiSecret.random(),
    ownPoints: hashed(emails('a', 3)),
  });

  it.each(HOSTILE)('B refuses a request holding %s', (_name, point, message) => {
    const request = splice(good, 1, point);
    const err = protocolError(() => psiResponderReply({ secret: b, request, ownPoints }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe(`psi request: point 1 ${message}`);
  });

  it('B refuses one point sent twice as its top-bit-set spelling', () => {
    const twin = Uint8Array.from(good.subarray(0, 32));
    twin[31] = (twin[31] as number) | 0x80; // X25519 would mask it back to point 0
    const err = protocolError(() =>
      psiResponderReply({ secret: b, request: new Uint8Array([...good, ...twin]), ownPoints })
    );
    expect(err.message).toBe('psi request: point 3 is not a canonical u-coordinate');
  });

  it('B refuses a small-order variant of a point (it would count one customer twice)', () => {
    const variant = torsionVariant(good.subarray(0, 32));
    const request = new Uint8Array([...good, ...variant]);
    const err = protocolError(() => psiResponderReply({ secret: b, request, ownPoints }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toBe(
      'psi request: point 3 equals an earlier point once blinded (a small-order variant)'
    );
  });

  describe('in the reply', () => {
    const a = PsiSecret.random();
    const request = psiInitiatorRequest({ secret: a, ownPoints: hashed(emails('s', 4)) });
    const reply = psiResponderReply({ secret: b, request, ownPoints: hashed(emails('s', 2)) });
    const count = (r: PsiReply) => psiInitiatorCount({ secret: a, requestSize: 4, reply: r });

    it('counts the honest reply', () => {
      expect(count(reply).intersectionSize).toBe(2);
    });

    it.each(HOSTILE)('A refuses responderBlinded holding %s', (_name, point, message) => {
      const bad = { ...reply, responderBlinded: splice(reply.responderBlinded, 1, point) };
      const err = protocolError(() => count(bad));
      expect(err.code).toBe('BAD_REQUEST');
      expect(err.message).toBe(`psi responderBlinded: point 1 ${message}`);
    });

    it.each(HOSTILE)('A refuses doubleBlinded holding %s', (_name, point, message) => {
      const bad = { ...reply, doubleBlinded: splice(reply.doubleBlinded, 2, point) };
      expect(protocolError(() => count(bad)).message).toBe(`psi doubleBlinded: point 2 ${message}`);
    });

    it('A refuses small-order variants that would match one of its points twice', () => {
      const first = reply.responderBlinded.subarray(0, 32);
      const inflated = new Uint8Array([...reply.responderBlinded, ...torsionVariant(first)]);
      const err = protocolError(() => count({ ...reply, responderBlinded: inflated }));
      expect(err.message).toBe(
        'psi responderBlinded: point 2 equals an earlier point once blinded (a small-order variant)'
      );
    });

    it('A refuses a repeated double-blinded point', () => {
      const d = reply.doubleBlinded;
      const dup = new Uint8Array([...d.subarray(0, 96), ...d.subarray(0, 32)]);
      expect(protocolError(() => count({ ...reply, doubleBlinded: dup })).message).toBe(
        'psi doubleBlinded: point 3 repeats an earlier point'
      );
    });
  });
});

describe('PSI cardinality: hostile messages', () => {
  const b = PsiSecret.random();
  const ownPoints = hashed(emails('b', 3));
  const good = psiInitiatorRequest({
    secret: PsiSecret.random(),
    ownPoints: hashed(emails('a', 3)),
  });

  it('refuses a length that is not a multiple of 32', () => {
    const err = protocolError(() =>
      psiResponderReply({ secret: b, request: good.subarray(0, 95), ownPoints })
    );
    expect(err.message).toBe('psi request: expected a multiple of 32 bytes, got length=95');
  });

  it('refuses a set above maxSetSize before reading it', () => {
    const limits = { maxSetSize: 2, minSetSize: 0 };
    const err = protocolError(() =>
      psiResponderReply({ secret: b, request: good, ownPoints, limits })
    );
    expect(err.message).toBe('psi request: 3 points exceed the limit 2');
  });

  it('refuses an initiator set below minSetSize as a policy refusal', () => {
    const limits = { maxSetSize: 100, minSetSize: 4 };
    const err = protocolError(() =>
      psiResponderReply({ secret: b, request: good, ownPoints, limits })
    );
    expect(err.code).toBe('POLICY_REFUSED');
    expect(err.message).toBe('psi request: 3 points are fewer than the minimum 4');
  });

  it('refuses limits above the hard ceiling', () => {
    const limits = { maxSetSize: PSI_MAX_SET_SIZE + 1, minSetSize: 0 };
    expect(() => psiResponderReply({ secret: b, request: good, ownPoints, limits })).toThrow(
      RangeError
    );
  });

  it('refuses a bad own point with a RangeError, not a peer error', () => {
    const own = splice(ownPoints, 0, hexToBytes(`02${'00'.repeat(31)}`));
    expect(() => psiResponderReply({ secret: b, request: good, ownPoints: own })).toThrow(
      new RangeError('"ownPoints" point 0 is not on curve25519 (it is on the twist)')
    );
  });

  describe('in the reply', () => {
    const a = PsiSecret.random();
    const request = psiInitiatorRequest({ secret: a, ownPoints: hashed(emails('s', 4)) });
    const reply = psiResponderReply({ secret: b, request, ownPoints: hashed(emails('s', 2)) });
    const count = (r: PsiReply) => psiInitiatorCount({ secret: a, requestSize: 4, reply: r });

    it('refuses a double-blinded set of the wrong size', () => {
      const short = { ...reply, doubleBlinded: reply.doubleBlinded.subarray(0, 96) };
      expect(protocolError(() => count(short)).message).toBe(
        'psi doubleBlinded: expected 4 points, got 3'
      );
    });

    it('refuses a reply that is not an object or whose fields are not bytes', () => {
      expect(protocolError(() => count(null as never)).message).toBe(
        'psi reply: expected an object'
      );
      expect(protocolError(() => count({ ...reply, responderBlinded: 'x' as never })).message).toBe(
        'psi responderBlinded: expected bytes'
      );
    });

    it('refuses a request size that is not a count', () => {
      expect(() => psiInitiatorCount({ secret: a, requestSize: -1, reply })).toThrow(
        '"requestSize" expected a non-negative integer'
      );
    });
  });
});
