import { Prng } from './prng.ts';
import type { ProfileName } from './profiles.ts';

/**
 * Shared customers for synthetic federations (docs/overlap.md "In the demo"). Every synthetic
 * node of one federation draws its customers' e-mail addresses from the same public population of
 * `people` addresses, `person<k>@people.example`, so nodes share customers the way partner
 * institutions do: by chance, about n1 x n2 / people for nodes of n1 and n2 customers, and nothing
 * else links them (a node's own ids, signup dates and behaviour are its own).
 *
 * Customer i of a node is person (a * i + b) mod people, with a coprime to people: a bijection of
 * [0, people), so a node never gives two customers one address (matching keys are unique per
 * node, docs/psi.md), and each customer's address is O(1) to compute, whatever the count. a and b
 * come from the node's seed; different seeds give different (and so overlapping) subsets.
 */
export const DEFAULT_PEOPLE = 50_000;

/** Population size: the requested one, or the node's customer count if that is larger. */
export function populationFor(people: number | undefined, customers: number): number {
  const p = people ?? DEFAULT_PEOPLE;
  if (!Number.isSafeInteger(p) || p < 1 || p > 99_999_999)
    throw new RangeError(`"people" must be an integer from 1 to 99999999, got ${p}`);
  return Math.max(p, customers);
}

function gcd(x: number, y: number): number {
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/**
 * How each profile writes an address, so matching depends on the documented normalisation (lower
 * case, docs/psi.md "Matching keys") as it does between real institutions.
 */
const SPELLING: Record<ProfileName, (email: string) => string> = {
  retail: (e) => e,
  bank: (e) => e.toUpperCase(),
  telecom: (e) => e.replace(/^p/, 'P').replace('@people', '@People'),
};

export interface PeopleMap {
  /** Population size actually used. */
  people: number;
  /** Person index of customer i. */
  personOf(i: number): number;
  /** The e-mail address of customer i, as this profile writes it. */
  emailOf(i: number): string;
}

export function peopleMap(
  profile: ProfileName,
  seed32: number,
  people: number | undefined,
  customers: number
): PeopleMap {
  const n = populationFor(people, customers);
  // A stream of its own (never a customer index), so adding the column changes no customer.
  const rng = new Prng(seed32, 0xffff_fffe);
  let a = 1 + rng.int(Math.max(1, n - 1));
  while (gcd(a, n) !== 1) a = (a % n) + 1;
  const b = rng.int(n);
  const spell = SPELLING[profile];
  // a * i can exceed 2^53 for large populations: BigInt keeps the bijection exact there.
  const personOf =
    n * n < Number.MAX_SAFE_INTEGER
      ? (i: number) => (a * i + b) % n
      : (i: number) => Number((BigInt(a) * BigInt(i) + BigInt(b)) % BigInt(n));
  return {
    people: n,
    personOf,
    emailOf: (i) => spell(`person${personOf(i)}@people.example`),
  };
}
