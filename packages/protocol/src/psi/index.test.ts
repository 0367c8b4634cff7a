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

  it('keeps internal helpers out of the package surface', () => {
    expect('shuffleInPlace' in protocol).toBe(false);
    expect('decodePointSet' in protocol).toBe(false);
    expect('_hashToRistretto255FromParts' in protocol).toBe(false);
  });
});
