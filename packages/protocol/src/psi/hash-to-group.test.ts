import { expand_message_xmd, hash_to_field } from '@noble/curves/abstract/hash-to-curve.js';
import { FpSqrtEven } from '@noble/curves/abstract/modular.js';
import {
  _map_to_curve_elligator2_curve25519,
  ed25519,
  ed25519_hasher,
} from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { HOSTILE_POINTS } from './_hostile-points.ts';
import {
  PSI_POINT_BYTES,
  hashMatchingKey,
  hashMatchingKeys,
  hashToCurve25519,
  isValidPsiPoint,
  psiDomainTag,
} from './hash-to-group.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);
const Fp = ed25519.Point.Fp;
/** RFC 9380 writes field elements as big-endian integers; the wire form is little-endian. */
const le = (beHex: string) => bytesToHex(Fp.toBytes(BigInt(`0x${beHex}`)));

// RFC 9380 Appendix J test messages.
const Q128 = `q128_${'q'.repeat(128)}`;
const A512 = `a512_${'a'.repeat(512)}`;

// RFC 9380 Appendix J.4.1, curve25519_XMD:SHA-512_ELL2_RO_, copied from the RFC text (the
// draft's poc/vectors/curve25519_XMD:SHA-512_ELL2_RO_.json gives the same values). P = (u, v),
// u[0..1] = hash_to_field output, Q0.x and Q1.x = the u-coordinates of the two mapped points.
const J41_DST = 'QUUX-V01-CS02-with-curve25519_XMD:SHA-512_ELL2_RO_';
const J41: {
  msg: string;
  Px: string;
  Py: string;
  u: [string, string];
  Q0x: string;
  Q1x: string;
}[] = [
  {
    msg: '',
    Px: '2de3780abb67e861289f5749d16d3e217ffa722192d16bbd9d1bfb9d112b98c0',
    Py: '3b5dc2a498941a1033d176567d457845637554a2fe7a3507d21abd1c1bd6e878',
    u: [
      '005fe8a7b8fef0a16c105e6cadf5a6740b3365e18692a9c05bfbb4d97f645a6a',
      '1347edbec6a2b5d8c02e058819819bee177077c9d10a4ce165aab0fd0252261a',
    ],
    Q0x: '36b4df0c864c64707cbf6cf36e9ee2c09a6cb93b28313c169be29561bb904f98',
    Q1x: '3fa114783a505c0b2b2fbeef0102853c0b494e7757f2a089d0daae7ed9a0db2b',
  },
  {
    msg: 'abc',
    Px: '2b4419f1f2d48f5872de692b0aca72cc7b0a60915dd70bde432e826b6abc526d',
    Py: '1b8235f255a268f0a6fa8763e97eb3d22d149343d495da1160eff9703f2d07dd',
    u: [
      '49bed021c7a3748f09fa8cdfcac044089f7829d3531066ac9e74e0994e05bc7d',
      '5c36525b663e63389d886105cee7ed712325d5a97e60e140aba7e2ce5ae851b6',
    ],
    Q0x: '16b3d86e056b7970fa00165f6f48d90b619ad618791661b7b5e1ec78be10eac1',
    Q1x: '7ec29ddbf34539c40adfa98fcb39ec36368f47f30e8f888cc7e86f4d46e0c264',
  },
  {
    msg: 'abcdef0123456789',
    Px: '68ca1ea5a6acf4e9956daa101709b1eee6c1bb0df1de3b90d4602382a104c036',
    Py: '2a375b656207123d10766e68b938b1812a4a6625ff83cb8d5e86f58a4be08353',
    u: [
      '6412b7485ba26d3d1b6c290a8e1435b2959f03721874939b21782df17323d160',
      '24c7b46c1c6d9a21d32f5707be1380ab82db1054fde82865d5c9e3d968f287b2',
    ],
    Q0x: '71de3dadfe268872326c35ac512164850860567aea0e7325e6b91a98f86533ad',
    Q1x: '5704069021f61e41779e2ba6b932268316d6d2a6f064f997a22fef16d1eaeaca',
  },
  {
    msg: Q128,
    Px: '096e9c8bae6c06b554c1ee69383bb0e82267e064236b3a30608d4ed20b73ac5a',
    Py: '1eb5a62612cafb32b16c3329794645b5b948d9f8ffe501d4e26b073fef6de355',
    u: [
      '5e123990f11bbb5586613ffabdb58d47f64bb5f2fa115f8ea8df0188e0c9e1b5',
      '5e8553eb00438a0bb1e7faa59dec6d8087f9c8011e5fb8ed9df31cb6c0d4ac19',
    ],
    Q0x: '7a94d45a198fb5daa381f45f2619ab279744efdd8bd8ed587fc5b65d6cea1df0',
    Q1x: '30506fb7a32136694abd61b6113770270debe593027a968a01f271e146e60c18',
  },
  {
    msg: A512,
    Px: '1bc61845a138e912f047b5e70ba9606ba2a447a4dade024c8ef3dd42b7bbc5fe',
    Py: '623d05e47b70e25f7f1d51dda6d7c23c9a18ce015fe3548df596ea9e38c69bf1',
    u: [
      '20f481e85da7a3bf60ac0fb11ed1d0558fc6f941b3ac5469aa8b56ec883d6d7d',
      '017d57fd257e9a78913999a23b52ca988157a81b09c5442501d07fed20869465',
    ],
    Q0x: '02d606e2699b918ee36f2818f2bc5013e437e673c9f9b9cdc15fd0c5ee913970',
    Q1x: '38920e9b988d1ab7449c0fa9a6058192c0c797bb3d42ac345724341a1aa98745',
  },
];

// RFC 9380 Appendix J.5.1, edwards25519_XMD:SHA-512_ELL2_RO_ (the @noble hasher we build on).
const J51_DST = 'QUUX-V01-CS02-with-edwards25519_XMD:SHA-512_ELL2_RO_';
const J51: [msg: string, x: string, y: string][] = [
  [
    '',
    '3c3da6925a3c3c268448dcabb47ccde5439559d9599646a8260e47b1e4822fc6',
    '09a6c8561a0b22bef63124c588ce4c62ea83a3c899763af26d795302e115dc21',
  ],
  [
    'abc',
    '608040b42285cc0d72cbb3985c6b04c935370c7361f4b7fbdb1ae7f8c1a8ecad',
    '1a8395b88338f22e435bbd301183e7f20a5f9de643f11882fb237f88268a5531',
  ],
  [
    'abcdef0123456789',
    '6d7fabf47a2dc03fe7d47f7dddd21082c5fb8f86743cd020f3fb147d57161472',
    '53060a3d140e7fbcda641ed3cf42c88a75411e648a1add71217f70ea8ec561a6',
  ],
  [
    Q128,
    '5fb0b92acedd16f3bcb0ef83f5c7b7a9466b5f1e0d8d217421878ea3686f8524',
    '2eca15e355fcfa39d2982f67ddb0eea138e2994f5956ed37b7f72eea5e89d2f7',
  ],
  [
    A512,
    '0efcfde5898a839b00997fbe40d2ebe950bc81181afbd5cd6b9618aa336c1e8c',
    '6dc2fc04f266c5c27f236a80b14f92ccd051ef1ff027f26a07f8c0f327d8f995',
  ],
];

const H2F = { p: Fp.ORDER, m: 1, k: 128, expand: 'xmd', hash: sha512 } as const; // RFC 9380 §8.5
const hex = (n: bigint) => n.toString(16).padStart(64, '0');

describe('hash_to_curve, curve25519_XMD:SHA-512_ELL2_RO_ (RFC 9380 Appendix J.4.1)', () => {
  it.each(J41.map((v) => [v.msg.slice(0, 16), v] as const))('msg %j', (_m, v) => {
    const msg = utf8(v.msg);
    // hash_to_field (§5.2), shared by the curve25519 and edwards25519 suites.
    const [[u0], [u1]] = hash_to_field(msg, 2, { ...H2F, DST: J41_DST }) as [[bigint], [bigint]];
    expect([hex(u0), hex(u1)]).toEqual(v.u);
    // @noble's map_to_curve_elligator2_curve25519 (Appendix G.2.1) gives the RFC's Q0 and Q1.
    for (const [u, qx] of [
      [u0, v.Q0x],
      [u1, v.Q1x],
    ] as const) {
      const { xMn, xMd } = _map_to_curve_elligator2_curve25519(u);
      expect(hex(Fp.div(xMn, xMd))).toBe(qx);
    }
    // Our function: the u-coordinate P.x, little-endian.
    expect(bytesToHex(hashToCurve25519(msg, J41_DST))).toBe(le(v.Px));
    // And the whole point: the edwards25519 result is the RFC 7748 §4.1 image of (P.x, P.y),
    // v = sqrt(-486664) * u / x with the sign RFC 9380 §6.8.1 fixes (sgn0 = 0, erratum 4730).
    const { x } = ed25519_hasher.hashToCurve(msg, { DST: J41_DST }).toAffine();
    const c1 = FpSqrtEven(Fp, Fp.neg(486664n));
    expect(hex(Fp.div(Fp.mul(c1, BigInt(`0x${v.Px}`)), x))).toBe(v.Py);
  });

  it('J.5.1: @noble ed25519_hasher is edwards25519_XMD:SHA-512_ELL2_RO_', () => {
    for (const [msg, x, y] of J51) {
      const p = ed25519_hasher.hashToCurve(utf8(msg), { DST: J51_DST }).toAffine();
      expect([hex(p.x), hex(p.y)]).toEqual([x, y]);
    }
  });

  it('expand_message_xmd(SHA-512) matches RFC 9380 Appendix K.3', () => {
    const dst = 'QUUX-V01-CS02-with-expander-SHA512-256';
    expect(bytesToHex(expand_message_xmd(utf8(''), dst, 0x20, sha512))).toBe(
      '6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba'
    );
    expect(bytesToHex(expand_message_xmd(utf8('abc'), dst, 0x20, sha512))).toBe(
      '0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc'
    );
  });

  it('our fixed DST: the vector of an independent implementation', () => {
    const dst = psiDomainTag('fed-demo', 'email');
    expect(dst).toBe('fedmark-psi-v2|fed-demo|email|curve25519_XMD:SHA-512_ELL2_RO_');
    const msg = utf8('alice@example.com');
    // Computed with hash-to-group.reference.py, an independent Python hash_to_curve (hashlib
    // and integers only: RFC 9380 §5.3.1, §6.7.1 and affine Montgomery addition) that
    // reproduces every J.4.1 vector above; frozen here. A change here changes every
    // federation's matches.
    const [[u0], [u1]] = hash_to_field(msg, 2, { ...H2F, DST: dst }) as [[bigint], [bigint]];
    expect([hex(u0), hex(u1)]).toEqual([
      '6352ce9ed292e3f79c0905eaf1832309f21765c5fb39befb88889f6d6a3df701',
      '715c16071e555760eb72d9d4a9af32c13f0c2e121cce858e3537899558a1ccff',
    ]);
    expect(bytesToHex(hashMatchingKey('fed-demo', 'email', 'alice@example.com'))).toBe(
      'b07749021ee08953e63839c6138da5b06d47ab84f34f8a199852403e5c56b340'
    );
  });

  it('refuses an empty or oversized DST and a message that is not bytes', () => {
    expect(() => hashToCurve25519(utf8('x'), '')).toThrow(
      '"dst" expected 1-255 bytes, got length=0'
    );
    expect(() => hashToCurve25519(utf8('x'), 'd'.repeat(256))).toThrow(
      '"dst" expected 1-255 bytes, got length=256'
    );
    expect(() => hashToCurve25519('x' as never, 'dst')).toThrow(TypeError);
  });
});

describe('federation keying', () => {
  it('separates federations and kinds', () => {
    const a = bytesToHex(hashMatchingKey('fed-a', 'partner_id', 'LOY-1'));
    expect(bytesToHex(hashMatchingKey('fed-a', 'partner_id', 'LOY-1'))).toBe(a);
    expect(bytesToHex(hashMatchingKey('fed-b', 'partner_id', 'LOY-1'))).not.toBe(a);
    expect(bytesToHex(hashMatchingKey('fed-a', 'email', 'LOY-1'))).not.toBe(a);
    expect(bytesToHex(hashMatchingKey('fed-a', 'partner_id', 'LOY-2'))).not.toBe(a);
  });

  it.each(['', 'fed|x', 'fed x', 'a'.repeat(129), '-fed', 'fédé'])(
    'refuses federation id %j',
    (id) => {
      expect(() => psiDomainTag(id, 'email')).toThrow(
        '"federationId" expected 1-128 characters of letters, digits, . _ : -'
      );
    }
  );

  it('refuses an unknown kind', () => {
    expect(() => psiDomainTag('fed', 'ssn' as never)).toThrow(
      '"kind" expected one of email, phone, partner_id, national_id_hash'
    );
  });

  it('packs many keys in input order, each a valid PSI point', () => {
    const keys = ['a@x.org', 'b@x.org', 'c@x.org'];
    const packed = hashMatchingKeys('fed-a', 'email', keys);
    expect(PSI_POINT_BYTES).toBe(32);
    expect(packed.length).toBe(3 * PSI_POINT_BYTES);
    keys.forEach((k, i) => {
      const p = packed.subarray(i * 32, (i + 1) * 32);
      expect(p).toEqual(hashMatchingKey('fed-a', 'email', k));
      expect(isValidPsiPoint(p)).toBe(true);
    });
    expect(hashMatchingKeys('fed-a', 'email', [])).toEqual(new Uint8Array(0));
  });

  it('gives the same points through the batched inversion, across a batch boundary', () => {
    const keys = Array.from({ length: 260 }, (_, i) => `k${i}@x.org`);
    const packed = hashMatchingKeys('fed-a', 'email', keys);
    for (const i of [0, 1, 255, 256, 259]) {
      expect(packed.subarray(32 * i, 32 * i + 32)).toEqual(
        hashMatchingKey('fed-a', 'email', keys[i] as string)
      );
    }
  });
});

describe('isValidPsiPoint', () => {
  it.each(HOSTILE_POINTS.map((h) => [h.name, h.hex] as const))('refuses %s', (_name, h) => {
    expect(isValidPsiPoint(hexToBytes(h))).toBe(false);
  });

  it('refuses anything but 32 bytes', () => {
    const ok = hashMatchingKey('fed-a', 'email', 'a@x.org');
    expect(isValidPsiPoint(ok)).toBe(true);
    expect(isValidPsiPoint(ok.subarray(0, 31))).toBe(false);
    expect(isValidPsiPoint(new Uint8Array([...ok, 0]))).toBe(false);
    expect(isValidPsiPoint(bytesToHex(ok) as never)).toBe(false);
  });
});
