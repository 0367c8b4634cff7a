import { linearScore, sigmoid } from '@fedmark/protocol';

/**
 * Plain floating-point logistic regression on pooled encoded rows: the centralised reference the
 * federated model is compared with (the README's scikit-learn figure uses the same objective:
 * mean-free log-likelihood with an L2 penalty lambda/2 |w|^2 on the non-intercept weights).
 */
export function fitPooledLogistic(
  xs: readonly Float64Array[],
  ys: readonly number[],
  l2: number,
  iterations = 25
): Float64Array {
  const d = xs[0]?.length ?? 0;
  let w = new Float64Array(d);
  for (let it = 0; it < iterations; it++) {
    const g = new Array<number>(d).fill(0);
    const h = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    xs.forEach((x, n) => {
      const p = sigmoid(linearScore(w, x));
      const r = (ys[n] as number) - p;
      const wt = p * (1 - p);
      for (let i = 0; i < d; i++) {
        const xi = x[i] as number;
        if (xi === 0) continue;
        g[i] = (g[i] as number) + r * xi;
        const row = h[i] as number[];
        for (let j = 0; j < d; j++) row[j] = (row[j] as number) + wt * xi * (x[j] as number);
      }
    });
    for (let i = 1; i < d; i++) {
      g[i] = (g[i] as number) - l2 * (w[i] as number);
      (h[i] as number[])[i] = ((h[i] as number[])[i] as number) + l2;
    }
    const step = solveDense(h, g);
    w = Float64Array.from(w, (v, i) => v + (step[i] as number));
  }
  return w;
}

/** Gaussian elimination with partial pivoting (reference only; the optimiser uses its own solver). */
export function solveDense(a: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs((m[r] as number[])[c] as number) > Math.abs((m[p] as number[])[c] as number))
        p = r;
    [m[c], m[p]] = [m[p] as number[], m[c] as number[]];
    const pivot = m[c] as number[];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const row = m[r] as number[];
      const f = (row[c] as number) / (pivot[c] as number);
      if (f === 0) continue;
      for (let k = c; k <= n; k++) row[k] = (row[k] as number) - f * (pivot[k] as number);
    }
  }
  return m.map((row, i) => (row[n] as number) / (row[i] as number));
}
