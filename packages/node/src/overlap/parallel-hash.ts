import { availableParallelism } from 'node:os';
import { hashMatchingKeys, PSI_POINT_BYTES, type MatchingKeyKind } from '@fedmark/protocol';
import { startWorker } from '../_worker-thread.ts';

/**
 * Hashes a node's normalised matching keys to PSI points on worker threads, one slice per core,
 * and concatenates the slices in input order, so the result is byte for byte that of
 * hashMatchingKeys. Hashing is most of a PSI step's time (docs/psi.md "Speed": 0.54 ms a key,
 * 53.6 s for 100,000 keys on one thread), and on the main thread it would also stall the agent's
 * polling. Below `minKeys` the workers' start-up (about 0.2 s each, loading the curve code) costs
 * more than it saves, so the keys are hashed inline.
 */

export interface ParallelHashOptions {
  /** Worker threads (default: the machine's available parallelism, at most 8). */
  threads?: number;
  /** Hash inline below this many keys (default 5,000). */
  minKeys?: number;
}

const DEFAULT_MIN_KEYS = 5_000;
const MAX_THREADS = 8;

export async function hashMatchingKeysInParallel(
  federationId: string,
  kind: MatchingKeyKind,
  keys: readonly string[],
  opts: ParallelHashOptions = {}
): Promise<Uint8Array> {
  const threads = Math.max(1, Math.min(opts.threads ?? availableParallelism(), MAX_THREADS));
  if (threads === 1 || keys.length < (opts.minKeys ?? DEFAULT_MIN_KEYS))
    return hashMatchingKeys(federationId, kind, keys);
  const size = Math.ceil(keys.length / threads);
  const slices = Array.from({ length: threads }, (_, i) => keys.slice(i * size, (i + 1) * size));
  const parts = await Promise.all(
    slices.map((slice) => hashSlice({ federationId, kind, keys: slice }))
  );
  const out = new Uint8Array(keys.length * PSI_POINT_BYTES);
  let offset = 0;
  for (const [i, part] of parts.entries()) {
    const expected = (slices[i] as string[]).length * PSI_POINT_BYTES;
    if (part.length !== expected)
      throw new Error(`PSI hash worker ${i} returned ${part.length} bytes, expected ${expected}`);
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function hashSlice(slice: {
  federationId: string;
  kind: MatchingKeyKind;
  keys: string[];
}): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = startWorker('psi-hash-worker', slice);
    let done = false;
    worker.once('message', (points: Uint8Array) => {
      done = true;
      resolve(points);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      done = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!done) reject(new Error(`PSI hash worker exited with code ${code} before answering`));
    });
  });
}
