/**
 * Internal test helper: the node side of secure aggregation (docs/secure-aggregation.md) for tests
 * that drive the coordinator directly. It builds real setups, masks and unmask answers with the
 * protocol's operations, so the coordinator under test handles exactly what nodes send.
 */
import { expect } from 'vitest';
import {
  HE_PARAMS,
  answerUnmask,
  createSetup,
  hexToBytes,
  maskRelease,
  type He,
  type HeParamsId,
  type SecaggSecrets,
  type SecaggSetup,
} from '@fedmark/protocol';
import {
  makeSubmission,
  specHashOf,
  type Harness,
  type SubmissionArgs,
  type TestNode,
  type TestResponse,
} from '../_testing.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import type { Store } from '../store/index.ts';
import { decryptByTwo, submitAll } from './_round-testing.ts';
import { setsOf } from './secagg.ts';
import { thresholdOf } from './threshold.ts';
import { roundParticipants } from './exclusions.ts';

/** What a node keeps of a round after its setup: the setup it sent and its secrets. */
interface NodeRound {
  setup: SecaggSetup;
  secrets: SecaggSecrets;
}

const secretsByStore = new WeakMap<Store, Map<string, NodeRound>>();
const key = (jobId: string, round: number, node: string) => `${jobId}/${round}/${node}`;

function secretsOf(h: Harness): Map<string, NodeRound> {
  let m = secretsByStore.get(h.store);
  if (!m) {
    m = new Map();
    secretsByStore.set(h.store, m);
  }
  return m;
}

/**
 * `to` is the coordinator `from` was restarted as (the same directory): the nodes still hold the
 * round secrets and setups they made while talking to `from`.
 */
export function reopened(from: Harness, to: Harness): void {
  secretsByStore.set(to.store, secretsOf(from));
}

/** The setup `n` sent for the round through `setupRound` (to send it again, byte for byte). */
export function sentSetup(h: Harness, n: TestNode, jobId: string, round: number): SecaggSetup {
  const kept = secretsOf(h).get(key(jobId, round, n.name));
  if (!kept) throw new Error(`${n.name} sent no setup for ${jobId}/${round}`);
  return kept.setup;
}

/**
 * Each of `nodes` sends its setup for the round (each must get 200). With `close`, once they are
 * in, the straggler wait is let pass so the round moves on to masked input.
 */
export async function setupRound(
  h: Harness,
  nodes: readonly TestNode[],
  jobId: string,
  round: number,
  opts: { close?: boolean } = { close: true }
): Promise<void> {
  const job = h.store.jobs.getJob(jobId);
  if (!job) throw new Error(`no job ${jobId}`);
  // The round's participants: the job's less those that refused an earlier round of it.
  const participants = roundParticipants(h.store.jobs, job, round).map((name) => ({
    name,
    boxKey: hexToBytes(h.store.nodes.get(name)?.boxKey ?? ''),
  }));
  for (const n of nodes) {
    const { setup, secrets } = await createSetup({
      jobId,
      round,
      node: n.name,
      specHash: specHashOf(h, jobId, round),
      threshold: thresholdOf(job),
      participants,
      signingSecretKey: n.signing.secretKey,
      boxSecretKey: n.box.secretKey,
    });
    secretsOf(h).set(key(jobId, round, n.name), { setup, secrets });
    const res = await h.node(
      n,
      'POST',
      `/v1/node/jobs/${jobId}/rounds/${round}/secagg/setup`,
      setup
    );
    expect(res.status, await res.clone().text()).toBe(200);
  }
  if (opts.close !== false && h.store.jobs.getRound(jobId, round)?.status === 'setup') {
    h.clock.now += job.spec.stragglerWaitMs;
    await h.coordinator.engine.tick();
  }
}

/** `values` masked by `n` for the round, with the advertisements the round closed its setup with. */
export function masked(
  h: Harness,
  n: TestNode,
  jobId: string,
  round: number,
  values: readonly bigint[]
): bigint[] {
  const job = h.store.jobs.getJob(jobId);
  const r = h.store.jobs.getRound(jobId, round);
  const secrets = secretsOf(h).get(key(jobId, round, n.name))?.secrets;
  if (!job || !r?.secagg || !secrets)
    throw new Error(`${n.name} has no setup for ${jobId}/${round}`);
  const heParams = (h.store.keys.get(job.keyId)?.heParams ?? DEFAULT_HE_PARAMS) as HeParamsId;
  return maskRelease(
    { jobId, round, modulus: HE_PARAMS[heParams].plainModulus },
    n.name,
    values,
    secrets,
    r.secagg.adverts
  );
}

/**
 * Each of `nodes` (survivors) answers the round's unmask with the boxes addressed to it; each must
 * get 200.
 */
export async function unmaskBy(
  h: Harness,
  nodes: readonly TestNode[],
  jobId: string,
  round: number
): Promise<void> {
  const job = h.store.jobs.getJob(jobId);
  const r = h.store.jobs.getRound(jobId, round);
  if (!job || !r) throw new Error(`no round ${jobId}/${round}`);
  const setups = h.store.jobs.secaggSetups(jobId, round);
  for (const n of nodes) {
    const answer = answerUnmask({
      sets: setsOf(job, r),
      me: n.name,
      boxes: setups.map((s) => ({ owner: s.node, box: s.shares[n.name] as string })),
      ownerBoxKey: (o) => {
        const rec = h.store.nodes.get(o);
        return rec ? hexToBytes(rec.boxKey) : undefined;
      },
      boxSecretKey: n.box.secretKey,
      signingSecretKey: n.signing.secretKey,
    });
    const res = await h.node(
      n,
      'POST',
      `/v1/node/jobs/${jobId}/rounds/${round}/secagg/unmask`,
      answer
    );
    expect(res.status, await res.clone().text()).toBe(200);
  }
}

/** One node's submission of `s.values` masked with its round secrets; the response, any status. */
export function postMasked(
  h: Harness,
  he: He,
  secretKey: Uint8Array,
  n: TestNode,
  s: Omit<SubmissionArgs, 'specHash'>
): Promise<TestResponse> {
  return h.node(
    n,
    'POST',
    `/v1/node/jobs/${s.jobId}/rounds/${s.round}/submission`,
    makeSubmission(he, secretKey, n, {
      ...s,
      specHash: specHashOf(h, s.jobId, s.round),
      values: masked(h, n, s.jobId, s.round, s.values),
    })
  );
}

/**
 * Every one of `nodes` submits `s.values` masked with its own round secrets (`masked`), really
 * encrypted under `secretKey`; each must get 200 (`submitAll` for one node at a time).
 */
export async function submitMasked(
  h: Harness,
  he: He,
  secretKey: Uint8Array,
  nodes: readonly TestNode[],
  s: Omit<SubmissionArgs, 'specHash'> & { specHash?: string }
): Promise<void> {
  for (const n of nodes)
    await submitAll(h, he, secretKey, [n], {
      ...s,
      values: masked(h, n, s.jobId, s.round, s.values),
    });
}

/** The round's stored aggregate decrypted: the masked sum, what decryptors see and post. */
export function maskedSum(
  h: Harness,
  he: He,
  secretKey: Uint8Array,
  jobId: string,
  round: number
): bigint[] {
  const r = h.store.jobs.getRound(jobId, round);
  if (!r?.aggregate) throw new Error(`round ${jobId}/${round} has no aggregate`);
  return he.decrypt(
    r.aggregate.map((x) => new Uint8Array(Buffer.from(x, 'base64'))),
    secretKey,
    r.layoutLength
  );
}

/**
 * Ends a decrypting round as honest nodes would: every survivor answers the unmask, then the
 * first two decryptors post the decrypted masked sum. `nodes` must include them all. Returns
 * the masked sum the decryptors posted.
 */
export async function unmaskAndDecrypt(
  h: Harness,
  he: He,
  secretKey: Uint8Array,
  nodes: readonly TestNode[],
  r: { jobId: string; round: number; layoutHash: string }
): Promise<bigint[]> {
  const survivors = h.store.jobs.getRound(r.jobId, r.round)?.secagg?.survivors ?? [];
  await unmaskBy(
    h,
    survivors.map((name) => nodes.find((x) => x.name === name) as TestNode),
    r.jobId,
    r.round
  );
  const plain = maskedSum(h, he, secretKey, r.jobId, r.round);
  await decryptByTwo(h, nodes, r, plain);
  return plain;
}
