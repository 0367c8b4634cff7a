/**
 * Internal dense linear algebra for the optimiser (d is at most a few hundred encoded columns):
 * a symmetric eigen-decomposition by cyclic Jacobi rotations, which is simple to audit and
 * accurate to machine precision for symmetric matrices (Golub & Van Loan, 4th ed., §8.5).
 */

/** Symmetric matrix as rows. Returns eigenvalues and eigenvectors (columns of `vectors`). */
export function symmetricEigen(a: readonly (readonly number[])[]): {
  values: number[];
  vectors: number[][];
} {
  const n = a.length;
  const m = a.map((r) => [...r]);
  const v = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))
  );
  const at = (r: number[][], i: number, j: number): number => (r[i] as number[])[j] as number;
  const set = (r: number[][], i: number, j: number, x: number): void => {
    (r[i] as number[])[j] = x;
  };
  let scaleSq = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scaleSq += at(m, i, j) ** 2;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += at(m, p, q) ** 2;
    if (off <= 1e-30 * scaleSq || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = at(m, p, q);
        if (apq === 0) continue;
        const theta = (at(m, q, q) - at(m, p, p)) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const mkp = at(m, k, p);
          const mkq = at(m, k, q);
          set(m, k, p, c * mkp - s * mkq);
          set(m, k, q, s * mkp + c * mkq);
        }
        for (let k = 0; k < n; k++) {
          const mpk = at(m, p, k);
          const mqk = at(m, q, k);
          set(m, p, k, c * mpk - s * mqk);
          set(m, q, k, s * mpk + c * mqk);
        }
        for (let k = 0; k < n; k++) {
          const vkp = at(v, k, p);
          const vkq = at(v, k, q);
          set(v, k, p, c * vkp - s * vkq);
          set(v, k, q, s * vkp + c * vkq);
        }
      }
    }
  }
  return { values: m.map((r, i) => r[i] as number), vectors: v };
}

/**
 * Solves H x = g for symmetric H after projecting H onto matrices with every eigenvalue at least
 * `floor` (a noisy Hessian can be indefinite; flooring keeps the step a descent step and bounds
 * how much the noise in small eigen-directions can blow up the step).
 */
export function flooredSolve(
  h: readonly (readonly number[])[],
  g: readonly number[],
  floor: number
): number[] {
  const n = g.length;
  const { values, vectors } = symmetricEigen(h);
  const out = new Array<number>(n).fill(0);
  for (let k = 0; k < n; k++) {
    const lambda = Math.max(values[k] as number, floor);
    let c = 0;
    for (let i = 0; i < n; i++) c += ((vectors[i] as number[])[k] as number) * (g[i] as number);
    for (let i = 0; i < n; i++)
      out[i] = (out[i] as number) + (((vectors[i] as number[])[k] as number) * c) / lambda;
  }
  return out;
}
