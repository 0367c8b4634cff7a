import { normaliseMatchingKey } from '@fedmark/protocol';
import { describe, expect, it } from 'vitest';
import { seedToUint32 } from './prng.ts';
import { peopleMap, populationFor } from './shared-people.ts';

const seed = (s: string) => seedToUint32(s);

describe('shared people (synthetic e-mail population)', () => {
  it('gives every customer of a node a different person, whatever the sizes', () => {
    for (const [people, customers] of [
      [50_000, 20_000],
      [1_000, 1_000],
      [97, 60],
      [10, 25], // the population grows to the customer count
    ] as const) {
      const m = peopleMap('retail', seed(`retail:${people}`), people, customers);
      const persons = new Set<number>();
      for (let i = 0; i < customers; i++) {
        const p = m.personOf(i);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(m.people);
        persons.add(p);
      }
      expect(persons.size).toBe(customers);
    }
  });

  it('makes two nodes of one federation share about n1 x n2 / people customers', () => {
    const people = 50_000;
    const a = peopleMap('retail', seed('retail:42'), people, 20_000);
    const b = peopleMap('bank', seed('bank:42'), people, 8_000);
    const inA = new Set(Array.from({ length: 20_000 }, (_, i) => a.personOf(i)));
    let shared = 0;
    for (let i = 0; i < 8_000; i++) if (inA.has(b.personOf(i))) shared++;
    // Hypergeometric: mean 3,200, standard deviation about 42.
    expect(shared).toBeGreaterThan(3_000);
    expect(shared).toBeLessThan(3_400);
  });

  it('writes each profile differently, and the documented normalisation makes them one key', () => {
    const spelled = (['retail', 'bank', 'telecom'] as const).map((p) =>
      peopleMap(p, 7, 1_000, 10).emailOf(3)
    );
    expect(new Set(spelled).size).toBe(3);
    const keys = spelled.map((e) => normaliseMatchingKey('email', e));
    expect(new Set(keys).size).toBe(1);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const one = peopleMap('retail', seed('x'), 50_000, 100);
    const again = peopleMap('retail', seed('x'), 50_000, 100);
    const other = peopleMap('retail', seed('y'), 50_000, 100);
    const list = (m: typeof one) => Array.from({ length: 100 }, (_, i) => m.emailOf(i)).join();
    expect(list(again)).toBe(list(one));
    expect(list(other)).not.toBe(list(one));
  });

  it('refuses a population that is not a positive integer, naming the field', () => {
    expect(() => populationFor(0, 10)).toThrow(/"people" must be an integer/);
    expect(() => populationFor(1.5, 10)).toThrow(/"people"/);
    expect(populationFor(undefined, 10)).toBe(50_000);
    expect(populationFor(undefined, 80_000)).toBe(80_000);
  });
});
