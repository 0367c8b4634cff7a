/**
 * A node's identity: Ed25519 signing keys, X25519 box keys and the pseudonym pepper, kept in
 * `<dir>/identity.json` (mode 0600).
 *
 * @example
 * const pub = await initNode({ dir: '/srv/node-a', name: 'bank-a' });
 * const id = loadIdentity('/srv/node-a');
 * pseudonymFor(id, 'C-1001'); // 64 hex chars, stable for this node
 */
export { initNode, type InitNodeOptions } from './init-node.ts';
/** Loads and validates identity.json; refuses files with permissions wider than 0600. */
export {
  loadIdentity,
  publicIdentity,
  pseudonymFor,
  IDENTITY_FILE,
  POLICY_FILE,
  type NodeIdentity,
  type NodePublicIdentity,
} from './identity.ts';
