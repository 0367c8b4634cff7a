import nacl from 'tweetnacl';
import { ProtocolError } from '../errors.ts';
import {
  bytesToHex,
  canonicalHash,
  fromBase64,
  hexToBytes,
  sha256Hex,
  toBase64,
} from '../hashing.ts';
import { signCanonical, verifyCanonical } from '../signing.ts';
import { sealShareBox } from './box-keys.ts';
import {
  SECAGG_COMMIT_DOMAIN,
  SECAGG_SETUP_DOMAIN,
  SECAGG_SHARE_DOMAIN,
  secaggAdvertSigningPayload,
  secaggParticipantsHash,
  type SecaggAdvert,
  type SecaggSetup,
} from '../schemas/secagg.ts';
import { MIN_NODES_FLOOR } from '../schemas/federation.ts';
import { maskKeyPair, maskedInput, pairSeed, selfSeed, centred } from './masks.ts';
import { shareAmong } from './shamir.ts';

/**
 * The node's side of secure aggregation before and at masked input (docs/secure-aggregation.md
 * "Round phases"): create the round's secrets and their boxed shares, check the other nodes'
 * advertisements, mask the released vector. Pure functions over keys and messages: node storage,
 * ledger and HTTP stay in packages/node.
 */

/** A node's secrets for one round: kept until its masked input is stored, then erased. */
export interface SecaggSecrets {
  /** b_u: the self-mask secret (32 bytes). */
  selfSecret: Uint8Array;
  /** The round's X25519 mask secret key. */
  maskSecretKey: Uint8Array;
}

/**
 * Shamir threshold of a round: at least minNodes (and the floor of 3), and a strict majority of the
 * participants, so that two disjoint groups of holders can never both reach it: one group told a
 * node survived (revealing its self-mask shares) and another told it dropped (revealing its
 * mask-key shares) cannot both rebuild a secret, since each holder answers once per round.
 */
export function secaggThreshold(participants: number, minNodes: number): number {
  return Math.max(minNodes, MIN_NODES_FLOOR, Math.floor(participants / 2) + 1);
}

/** The commitment to b_u each advertisement signs and the coordinator checks a rebuilt b_u against. */
export function secaggSelfCommitment(
  r: { jobId: string; round: number },
  owner: string,
  selfSecret: Uint8Array
): string {
  return canonicalHash(SECAGG_COMMIT_DOMAIN, {
    jobId: r.jobId,
    round: r.round,
    owner,
    secret: bytesToHex(selfSecret),
  });
}

/** Bytes of one Shamir share of a 32-byte secret: the secret's length plus its x coordinate. */
export const SHARE_BYTES = 33;

/**
 * The bytes boxed from `owner` to `holder`: the self-mask share, the mask-key share, and a hash
 * binding both to the round and both names (so a box cannot be replayed into another round or
 * handed to another holder).
 */
export function sharePlaintext(
  r: { jobId: string; round: number },
  owner: string,
  holder: string,
  selfShare: Uint8Array,
  keyShare: Uint8Array
): Uint8Array {
  if (selfShare.length !== SHARE_BYTES || keyShare.length !== SHARE_BYTES)
    throw new RangeError(`shares expected ${SHARE_BYTES} bytes each`);
  const binding = hexToBytes(
    canonicalHash(SECAGG_SHARE_DOMAIN, { jobId: r.jobId, round: r.round, owner, holder })
  );
  const out = new Uint8Array(2 * SHARE_BYTES + binding.length);
  out.set(selfShare);
  out.set(keyShare, SHARE_BYTES);
  out.set(binding, 2 * SHARE_BYTES);
  return out;
}

export interface SetupInput {
  jobId: string;
  round: number;
  /** This node's name. */
  node: string;
  specHash: string;
  threshold: number;
  /** Every participant (this node included) with its pinned box key. */
  participants: readonly { name: string; boxKey: Uint8Array }[];
  signingSecretKey: Uint8Array;
  boxSecretKey: Uint8Array;
}

/**
 * Fresh secrets for one round (crypto RNG: tweetnacl's randomBytes and key pair) and the signed
 * setup message: b_u and the mask secret key are each split among all participants (this node
 * too: with three participants and threshold three there are no others enough), and each holder's
 * pair of shares is boxed to it.
 */
export async function createSetup(
  input: SetupInput
): Promise<{ setup: SecaggSetup; secrets: SecaggSecrets }> {
  const names = input.participants.map((p) => p.name);
  if (!names.includes(input.node))
    throw new RangeError(`"participants" must include this node (${input.node})`);
  const selfSecret = nacl.randomBytes(32);
  const keys = maskKeyPair();
  const selfShares = await shareAmong(selfSecret, names, input.threshold);
  const keyShares = await shareAmong(keys.secretKey, names, input.threshold);
  const shares: Record<string, string> = {};
  const shareHashes: Record<string, string> = {};
  for (const p of input.participants) {
    const plain = sharePlaintext(
      input,
      input.node,
      p.name,
      selfShares.get(p.name) as Uint8Array,
      keyShares.get(p.name) as Uint8Array
    );
    const box = sealShareBox(plain, p.boxKey, input.boxSecretKey);
    plain.fill(0);
    shares[p.name] = toBase64(box);
    shareHashes[p.name] = sha256Hex(box);
  }
  const advert: Omit<SecaggAdvert, 'signature'> = {
    jobId: input.jobId,
    round: input.round,
    node: input.node,
    specHash: input.specHash,
    threshold: input.threshold,
    participantsHash: secaggParticipantsHash(names),
    maskPublicKey: bytesToHex(keys.publicKey),
    selfCommitment: secaggSelfCommitment(input, input.node, selfSecret),
    shareHashes,
  };
  const signature = signCanonical(
    SECAGG_SETUP_DOMAIN,
    secaggAdvertSigningPayload(advert),
    input.signingSecretKey
  );
  return {
    setup: { version: 1, ...advert, shares, signature },
    secrets: { selfSecret, maskSecretKey: keys.secretKey },
  };
}

/** The advertisement of a setup: everything but the boxes (whose hashes it signs). */
export function advertOf(setup: SecaggSetup): SecaggAdvert {
  const { version: _v, shares: _s, ...advert } = setup;
  return advert;
}

/** True when the setup's boxes are the ones its signed advertisement names. */
export function setupMatchesAdvert(setup: SecaggSetup): boolean {
  return Object.entries(setup.shares).every(
    ([holder, b64]) => sha256Hex(fromBase64(b64, `shares.${holder}`)) === setup.shareHashes[holder]
  );
}

export function verifyAdvert(a: SecaggAdvert, signingKeyHex: string): boolean {
  const { signature, ...rest } = a;
  return verifyCanonical(
    SECAGG_SETUP_DOMAIN,
    secaggAdvertSigningPayload(rest),
    signature,
    hexToBytes(signingKeyHex)
  );
}

/**
 * Checks the advertisements a masked-input task carries against this node's own setup: each
 * signed by a pinned member, for this round and spec, all with this node's threshold and
 * participant set, one per node, this node's own unchanged, at least `threshold` of them.
 * Throws a ProtocolError naming the first problem; returns the adverts sorted by node.
 */
export function checkAdverts(
  own: SecaggAdvert,
  adverts: readonly SecaggAdvert[],
  signingKeyOf: (node: string) => string | undefined
): SecaggAdvert[] {
  const where = `secure aggregation ${own.jobId}/${own.round}`;
  const seen = new Set<string>();
  for (const a of adverts) {
    const key = signingKeyOf(a.node);
    if (key === undefined)
      throw new ProtocolError('FORBIDDEN', `${where}: ${a.node} is not a pinned member`);
    if (seen.has(a.node))
      throw new ProtocolError('BAD_REQUEST', `${where}: ${a.node} listed twice`);
    seen.add(a.node);
    if (a.jobId !== own.jobId || a.round !== own.round || a.specHash !== own.specHash)
      throw new ProtocolError(
        'CONFLICT',
        `${where}: the advertisement of ${a.node} is for another job, round or round spec`
      );
    if (a.threshold !== own.threshold || a.participantsHash !== own.participantsHash)
      throw new ProtocolError(
        'CONFLICT',
        `${where}: ${a.node} shared among another participant set or threshold than this node`
      );
    if (!verifyAdvert(a, key))
      throw new ProtocolError(
        'INVALID_SIGNATURE',
        `${where}: advertisement of ${a.node} is not signed by it`
      );
  }
  const mine = adverts.find((a) => a.node === own.node);
  if (!mine || mine.signature !== own.signature)
    throw new ProtocolError(
      'CONFLICT',
      `${where}: this node's own advertisement is missing or altered`
    );
  if (adverts.length < own.threshold)
    throw new ProtocolError(
      'QUORUM_NOT_MET',
      `${where}: ${adverts.length} advertisements, the threshold is ${own.threshold}`
    );
  return [...adverts].sort((x, y) => (x.node < y.node ? -1 : x.node > y.node ? 1 : 0));
}

/**
 * The released vector masked with this node's self mask and its pairwise masks with every other
 * advertised node, in the centred range the HE encoder takes. A single result is uniform in Z_t.
 */
export function maskRelease(
  r: { jobId: string; round: number; modulus: bigint },
  node: string,
  values: readonly bigint[],
  secrets: SecaggSecrets,
  adverts: readonly SecaggAdvert[]
): bigint[] {
  const round = { ...r, length: values.length };
  const pairs = adverts
    .filter((a) => a.node !== node)
    .map((a) => ({
      peer: a.node,
      seed: pairSeed(round, node, secrets.maskSecretKey, a.node, hexToBytes(a.maskPublicKey)),
    }));
  const masked = maskedInput(round, node, values, selfSeed(round, node, secrets.selfSecret), pairs);
  for (const p of pairs) p.seed.fill(0);
  return masked.map((v) => centred(v, r.modulus));
}
