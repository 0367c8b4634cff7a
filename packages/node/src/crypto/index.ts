/**
 * The node's homomorphic-encryption plumbing: the only place that imports node-seal, and the
 * local store of HE key epochs (`<dir>/he-keys/<keyId>.json`, mode 0600).
 *
 * @example
 * const he = await loadHe('bfv-8192-t40');
 * const key = loadHeKey('/srv/node-a', 'k1');
 * const cts = he.encryptSymmetric([1n, -2n], key.secretKey);
 */
export { loadSeal, loadHe } from './seal.ts';
/** Save / load / probe an HE key epoch; files are 0600 and refused when readable by others. */
export {
  saveHeKey,
  loadHeKey,
  hasHeKey,
  listHeKeyIds,
  changedMemberKeys,
  HE_KEYS_DIR,
  type StoredHeKey,
} from './he-keys.ts';
