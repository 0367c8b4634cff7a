import { ProtocolError } from '../errors.ts';
import { bytesToHex, equalBytes, fromBase64, hexToBytes, toBase64 } from '../hashing.ts';
import { signCanonical } from '../signing.ts';
import { openShareBox } from './box-keys.ts';
import {
  SECAGG_UNMASK_DOMAIN,
  secaggSetsHash,
  secaggUnmaskSigningPayload,
  type SecaggAdvert,
  type SecaggSets,
  type SecaggUnmask,
} from '../schemas/secagg.ts';
import { centred, maskPublicKeyOf, pairSeed, selfSeed, unmaskSum } from './masks.ts';
import { recoverFrom } from './shamir.ts';
import { SHARE_BYTES, secaggSelfCommitment, sharePlaintext } from './setup.ts';

/**
 * The unmask phase (docs/secure-aggregation.md "Round phases" 4 and 5): a survivor opens the
 * boxes addressed to it and reveals, for each node, exactly one kind of share; the coordinator
 * rebuilds the survivors' self-mask secrets and the dropped nodes' mask keys, checks each against
 * its signed commitment, and derives the correction that turns the decrypted masked sum into the
 * survivors' plain sum.
 */

/**
 * Checks the shape of sets a survivor is asked to answer: survivors and dropped disjoint, together
 * exactly the nodes it masked with, itself a survivor, at least `threshold` survivors.
 */
export function checkSets(
  sets: SecaggSets,
  me: string,
  maskedWith: readonly string[],
  threshold: number
): void {
  const where = `secure aggregation ${sets.jobId}/${sets.round}`;
  const both = sets.survivors.filter((n) => sets.dropped.includes(n));
  if (both.length > 0)
    throw new ProtocolError(
      'CONFLICT',
      `${where}: ${both.join(', ')} named both survivor and dropped; refusing to reveal both shares`
    );
  const named = [...sets.survivors, ...sets.dropped].sort();
  if (new Set(named).size !== named.length)
    throw new ProtocolError('BAD_REQUEST', `${where}: a node is listed twice`);
  if (named.join() !== [...maskedWith].sort().join())
    throw new ProtocolError(
      'CONFLICT',
      `${where}: the sets name other nodes than the ${maskedWith.length} this node masked with`
    );
  if (!sets.survivors.includes(me))
    throw new ProtocolError('FORBIDDEN', `${where}: this node is not among the survivors`);
  if (sets.survivors.length < threshold)
    throw new ProtocolError(
      'QUORUM_NOT_MET',
      `${where}: ${sets.survivors.length} survivors, the threshold is ${threshold}`
    );
}

/**
 * A survivor's signed answer: opens each owner's box (authenticated from the owner's pinned box
 * key, bound to this round and both names) and keeps the self-mask share of survivors, the
 * mask-key share of dropped nodes. Call `checkSets` first.
 */
export function answerUnmask(input: {
  sets: SecaggSets;
  me: string;
  boxes: readonly { owner: string; box: string }[];
  ownerBoxKey: (owner: string) => Uint8Array | undefined;
  boxSecretKey: Uint8Array;
  signingSecretKey: Uint8Array;
}): SecaggUnmask {
  const { sets, me } = input;
  const where = `secure aggregation ${sets.jobId}/${sets.round}`;
  const selfShares: Record<string, string> = {};
  const keyShares: Record<string, string> = {};
  const byOwner = new Map(input.boxes.map((b) => [b.owner, b.box]));
  for (const owner of [...sets.survivors, ...sets.dropped]) {
    const box = byOwner.get(owner);
    const boxKey = input.ownerBoxKey(owner);
    if (box === undefined || boxKey === undefined)
      throw new ProtocolError('BAD_REQUEST', `${where}: no share box from ${owner}`);
    let plain: Uint8Array;
    try {
      plain = openShareBox(fromBase64(box, `share of ${owner}`), boxKey, input.boxSecretKey);
    } catch {
      throw new ProtocolError(
        'BAD_CIPHERTEXT',
        `${where}: the share box from ${owner} does not open`
      );
    }
    const parsed = parseSharePlain(plain);
    const expected = sharePlaintext(sets, owner, me, parsed.selfShare, parsed.keyShare);
    if (!equalBytes(expected, plain))
      throw new ProtocolError(
        'BAD_CIPHERTEXT',
        `${where}: the share box from ${owner} is for another round or holder`
      );
    if (sets.survivors.includes(owner)) selfShares[owner] = toBase64(parsed.selfShare);
    else keyShares[owner] = toBase64(parsed.keyShare);
    plain.fill(0);
  }
  const body = {
    jobId: sets.jobId,
    round: sets.round,
    node: me,
    setsHash: secaggSetsHash(sets),
    selfShares,
    keyShares,
  };
  const signature = signCanonical(
    SECAGG_UNMASK_DOMAIN,
    secaggUnmaskSigningPayload(body),
    input.signingSecretKey
  );
  return { version: 1, ...body, signature };
}

/** The two shares of a box's plaintext (its binding is checked by rebuilding the plaintext). */
function parseSharePlain(plain: Uint8Array): { selfShare: Uint8Array; keyShare: Uint8Array } {
  if (plain.length !== 2 * SHARE_BYTES + 32)
    throw new ProtocolError(
      'BAD_CIPHERTEXT',
      `share box of ${plain.length} bytes, expected ${2 * SHARE_BYTES + 32}`
    );
  return {
    selfShare: plain.slice(0, SHARE_BYTES),
    keyShare: plain.slice(SHARE_BYTES, 2 * SHARE_BYTES),
  };
}

export interface CorrectionInput {
  sets: SecaggSets;
  /** Slots of the round's vector and the BFV plaintext modulus t. */
  length: number;
  modulus: bigint;
  threshold: number;
  /** The advertisements of every node in survivors and dropped. */
  adverts: readonly SecaggAdvert[];
  /** Verified unmask answers to exactly these sets. */
  answers: readonly SecaggUnmask[];
}

/**
 * The vector to add (mod t) to the decrypted masked sum of the survivors' inputs: minus every
 * survivor's self mask, minus what each survivor added for its pair with each dropped node.
 * Throws UNMASK_FAILED (as BAD_REQUEST) when fewer than `threshold` answers carry a node's share
 * or a rebuilt secret does not match its signed commitment.
 */
export async function maskCorrection(input: CorrectionInput): Promise<bigint[]> {
  const { sets } = input;
  const where = `secure aggregation ${sets.jobId}/${sets.round}`;
  const advert = new Map(input.adverts.map((a) => [a.node, a]));
  const round = {
    jobId: sets.jobId,
    round: sets.round,
    length: input.length,
    modulus: input.modulus,
  };
  const rebuild = async (owner: string, kind: 'selfShares' | 'keyShares'): Promise<Uint8Array> => {
    const shares = input.answers
      .map((a) => a[kind][owner])
      .filter((s): s is string => s !== undefined)
      .map((s) => fromBase64(s, `${kind}.${owner}`));
    if (shares.length < input.threshold)
      throw new ProtocolError(
        'QUORUM_NOT_MET',
        `${where}: ${shares.length} shares for ${owner}, the threshold is ${input.threshold}`
      );
    return recoverFrom(shares, input.threshold);
  };
  const selfSeeds: Uint8Array[] = [];
  for (const u of sets.survivors) {
    const a = advert.get(u);
    const secret = await rebuild(u, 'selfShares');
    if (!a || secaggSelfCommitment(sets, u, secret) !== a.selfCommitment)
      throw new ProtocolError(
        'BAD_REQUEST',
        `${where}: the rebuilt self-mask secret of ${u} does not match its commitment`
      );
    selfSeeds.push(selfSeed(round, u, secret));
    secret.fill(0);
  }
  const orphans: { survivor: string; dropped: string; seed: Uint8Array }[] = [];
  for (const d of sets.dropped) {
    const a = advert.get(d);
    const key = await rebuild(d, 'keyShares');
    if (!a || bytesToHex(maskPublicKeyOf(key)) !== a.maskPublicKey)
      throw new ProtocolError(
        'BAD_REQUEST',
        `${where}: the rebuilt mask key of ${d} does not match its advertisement`
      );
    for (const v of sets.survivors) {
      const pv = advert.get(v);
      if (!pv) throw new ProtocolError('BAD_REQUEST', `${where}: no advertisement of ${v}`);
      orphans.push({
        survivor: v,
        dropped: d,
        seed: pairSeed(round, d, key, v, hexToBytes(pv.maskPublicKey)),
      });
    }
    key.fill(0);
  }
  // Zero unmasked is what unmaskSum subtracts, as a vector to add: one sign convention (masks.ts).
  return unmaskSum(round, new Array<bigint>(round.length).fill(0n), selfSeeds, orphans);
}

/** The survivors' plain sum: decrypted masked sum plus correction, centred. */
export function applyCorrection(
  maskedSum: readonly bigint[],
  correction: readonly bigint[],
  modulus: bigint
): bigint[] {
  if (maskedSum.length !== correction.length)
    throw new RangeError(
      `"correction" expected ${maskedSum.length} slots, got ${correction.length}`
    );
  return maskedSum.map((v, i) =>
    centred((((v + (correction[i] as bigint)) % modulus) + modulus) % modulus, modulus)
  );
}
