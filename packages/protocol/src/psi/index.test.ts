import { describe, expect, it } from 'vitest';
import * as protocol from '../index.ts';

// Runs the @example of psi/index.ts through the package entry point, so the documented API is
// the exported one.
describe('@fedmark/protocol psi exports', () => {
  it('runs the documented example', () => {
    const { PsiSecret, hashMatchingKeys, normaliseEmail } = protocol;
    const pts = (keys: string[]) => hashMatchingKeys('fed-1', 'email', keys.map(normaliseEmail));
    const a = PsiSecret.random();
    const b = PsiSecret.random();
    const request = protocol.psiInitiatorRequest({
      secret: a,
      ownPoints: pts(['Ann@x.org', 'bo@x.org']),
    });
    const reply = protocol.psiResponderReply({ secret: b, request, ownPoints: pts(['ann@x.org']) });
    expect(protocol.psiInitiatorCount({ secret: a, requestSize: 2, reply })).toEqual({
      intersectionSize: 1,
      initiatorSetSize: 2,
      responderSetSize: 1,
    });
    a.destroy();
    b.destroy();
    expect(a.destroyed && b.destroyed).toBe(true);
  });

  it('exports the curve25519 names and the padding helpers, and no ristretto255 ones', () => {
    expect(protocol.PSI_POINT_BYTES).toBe(32);
    expect(protocol.PSI_HASH_SUITE).toBe('curve25519_XMD:SHA-512_ELL2_RO_');
    expect(protocol.PSI_DST_VERSION).toBe('fedmark-psi-v2');
    for (const name of ['hashToCurve25519', 'hashPsiDummies', 'randomPsiPoints']) {
      expect(typeof (protocol as Record<string, unknown>)[name]).toBe('function');
    }
    expect('RISTRETTO_POINT_BYTES' in protocol).toBe(false);
    expect('hashToRistretto255' in protocol).toBe(false);
  });

  it('keeps internal helpers out of the package surface', () => {
    for (const name of [
      'shuffleInPlace',
      'checkPointSet',
      'blindPointSet',
      'x25519',
      'pointFault',
      'jacobiSymbol',
      'HOSTILE_POINTS',
      'torsionVariant',
      'psiDummyDomainTag',
      '_checkFederationId',
      '_hashAllToCurve25519',
    ]) {
      expect(name in protocol).toBe(false);
    }
  });
});
