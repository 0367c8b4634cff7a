/**
 * Internal, tests only: the shared corpus of 32-byte values a hostile peer could send as PSI
 * points, each with the refusal it must get (docs/psi.md "The protocol"). _u-coordinate,
 * hash-to-group and psi-cardinality tests run every entry through their public functions.
 * Values are little-endian hex (RFC 7748 §5).
 */
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import type { PointFault } from './_u-coordinate.ts';

export type HostilePoint = { name: string; hex: string; fault: PointFault };

const P_HEX = 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'; // 2^255 - 19

export const HOSTILE_POINTS: readonly HostilePoint[] = [
  // Small order: libsodium's has_small_order list (x25519_ref10.c), the part below p.
  { name: 'u = 0, order 2', hex: '00'.repeat(32), fault: 'small_order' },
  { name: 'u = 1, order 4', hex: `01${'00'.repeat(31)}`, fault: 'small_order' },
  {
    name: 'order 8 (first)',
    hex: 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    fault: 'small_order',
  },
  {
    name: 'order 8 (second)',
    hex: '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    fault: 'small_order',
  },
  {
    name: 'u = p - 1, order 4 on the twist',
    hex: 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    fault: 'small_order',
  },
  // Non-canonical: u >= p, or the top bit set (RFC 7748 §5 masks it, so both name one point).
  { name: 'u = p (0 unreduced)', hex: P_HEX, fault: 'non_canonical' },
  {
    name: 'u = p + 1 (1 unreduced)',
    hex: 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    fault: 'non_canonical',
  },
  {
    name: 'u = p + 9 (the base point unreduced)',
    hex: 'f6ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    fault: 'non_canonical',
  },
  {
    name: 'u = 2^255 - 1',
    hex: 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    fault: 'non_canonical',
  },
  {
    name: 'the base point with the top bit set',
    hex: `09${'00'.repeat(30)}80`,
    fault: 'non_canonical',
  },
  {
    name: 'RFC 7748 §5.2 input 2 (top bit set)',
    hex: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
    fault: 'non_canonical',
  },
  // On the twist: u^3 + 486662 u^2 + u is not a square mod p.
  { name: 'u = 2 (twist)', hex: `02${'00'.repeat(31)}`, fault: 'twist' },
  {
    name: 'RFC 7748 §5.2 input 2 with the top bit cleared (twist)',
    hex: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a413',
    fault: 'twist',
  },
  {
    name: 'a large twist point',
    hex: '32dd2dbce1b6d329864ecdd560b5715da9c1271a20e9f1ab6f430c0317cb8b34',
    fault: 'twist',
  },
];

const Fp = ed25519.Point.Fp;
const ORDER_8 = ed25519.Point.fromHex(ED25519_TORSION_SUBGROUP[1] as string);

/**
 * The u-coordinate of P + T for the point P with u-coordinate `u` (either sign) and T of order
 * 8: a valid, canonical point that differs from P, and that X25519 maps to X25519(k, u) for
 * every k. Computed on edwards25519 through the RFC 7748 §4.1 map, y = (u - 1) / (u + 1).
 */
export function torsionVariant(u: Uint8Array): Uint8Array {
  const uu = Fp.fromBytes(u);
  const p = ed25519.Point.fromBytes(Fp.toBytes(Fp.div(Fp.sub(uu, 1n), Fp.add(uu, 1n))));
  const { y } = p.add(ORDER_8).toAffine();
  return Fp.toBytes(Fp.div(Fp.add(1n, y), Fp.sub(1n, y)));
}
