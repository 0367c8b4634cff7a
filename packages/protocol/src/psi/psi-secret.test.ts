import { createPublicKey } from 'node:crypto';
import { hexToBytes } from '@noble/curves/utils.js';
import { describe, expect, it } from 'vitest';
import { x25519 } from './_x25519.ts';
import { PsiSecret } from './psi-secret.ts';

const publicX = (s: PsiSecret) => createPublicKey(s._privateKey()).export({ format: 'jwk' }).x;

describe('PsiSecret', () => {
  it('draws distinct X25519 keys from OpenSSL', () => {
    const a = PsiSecret.random();
    const b = PsiSecret.random();
    expect(a._privateKey().asymmetricKeyType).toBe('x25519');
    expect(publicX(a)).not.toBe(publicX(b));
  });

  it('_fromBytes gives RFC 7748 §6.1 Alice her public key', () => {
    const bytes = hexToBytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const alice = PsiSecret._fromBytes(bytes);
    const nine = hexToBytes(`09${'00'.repeat(31)}`);
    expect(x25519(alice._privateKey(), nine).toString('hex')).toBe(
      '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'
    );
    expect(bytes[0]).toBe(0x77); // the caller's bytes are the caller's to zero
  });

  it('_fromBytes refuses anything but 32 bytes', () => {
    expect(() => PsiSecret._fromBytes(new Uint8Array(31))).toThrow(
      '"bytes" expected Uint8Array of length 32, got length=31'
    );
  });

  it('does not serialise and cannot be used after destroy()', () => {
    const s = PsiSecret.random();
    expect(JSON.stringify({ s })).toBe('{"s":"[PsiSecret]"}');
    expect(`${s}`).toBe('[PsiSecret]');
    expect(s.destroyed).toBe(false);
    s.destroy();
    expect(s.destroyed).toBe(true);
    expect(() => s._privateKey()).toThrow('PsiSecret used after destroy()');
  });
});
