/**
 * Internal: worker-thread entry that hashes one slice of a node's normalised matching keys to
 * PSI points (protocol hash-to-group.ts) and posts the packed points back, transferred, not
 * copied. parallel-hash.ts splits the keys and concatenates the slices in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { hashMatchingKeys, type MatchingKeyKind } from '@fedmark/protocol';

interface Slice {
  federationId: string;
  kind: MatchingKeyKind;
  keys: string[];
}

const port = parentPort;
if (port) {
  const { federationId, kind, keys } = workerData as Slice;
  const points = hashMatchingKeys(federationId, kind, keys);
  port.postMessage(points, [points.buffer as ArrayBuffer]);
}
