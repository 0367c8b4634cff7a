import { describe, expect, it } from 'vitest';
import {
  OVERLAP_MESSAGE_DOMAIN,
  OVERLAP_RELEASE_DOMAIN,
  overlapMessageSigningPayload,
  overlapReleaseSigningPayload,
  sha256Hex,
  signCanonical,
  toBase64,
  type OverlapMessage,
  type OverlapTask,
} from '@fedmark/protocol';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import { federation, harness, json, testNode, type Harness, type TestNode } from '../_testing.ts';

/**
 * The relay's checks on overlap answers (docs/overlap.md "Messages"): only the node whose step it
 * is may answer, addressed to its peer and signed with its own key; a figure must carry the job's
 * epsilon and bound; a pair answers each step once.
 */
const [a, b, c] = ['o-a', 'o-b', 'o-c'].map((n, i) => testNode(n, 91 + i)) as [
  TestNode,
  TestNode,
  TestNode,
];
const spec = {
  version: 1,
  kind: 'overlap',
  name: 'shared',
  overlap: { matchingKey: 'email', epsilon: 1 },
};

async function started(): Promise<{ h: Harness; jobId: string; task: OverlapTask }> {
  const h = harness({ heFor });
  await federation(h, [a, b, c], (await heFor(DEFAULT_HE_PARAMS)).generateKeys().publicKey);
  const res = await h.op('POST', '/v1/jobs', spec);
  expect(res.status).toBe(201);
  const { jobId } = await json(res);
  const tasks = (await json(await h.node(a, 'GET', '/v1/node/tasks'))).tasks as OverlapTask[];
  const task = tasks.find((t) => t.type === 'overlap' && t.responder === 'o-b') as OverlapTask;
  return { h, jobId, task };
}

function message(
  from: TestNode,
  to: string,
  task: OverlapTask,
  step: 'request' | 'reply',
  signer = from
): OverlapMessage {
  const box = new Uint8Array(64).fill(3);
  const signed = {
    jobId: task.jobId,
    pair: task.pair,
    step,
    from: from.name,
    to,
    specHash: task.specHash,
    sealedHashes: [sha256Hex(box)],
  };
  return {
    version: 1,
    ...signed,
    sealed: [toBase64(box)],
    signature: signCanonical(
      OVERLAP_MESSAGE_DOMAIN,
      overlapMessageSigningPayload(signed),
      signer.signing.secretKey
    ),
  };
}

describe('overlap relay', () => {
  it('lists one request task per pair to its initiator, with the coordinator-signed spec', async () => {
    const { h, task } = await started();
    expect(task).toMatchObject({ step: 'request', initiator: 'o-a', responder: 'o-b' });
    const forC = (await json(await h.node(c, 'GET', '/v1/node/tasks'))).tasks;
    expect(forC).toEqual([]);
  });

  it('refuses a request sent by the responder, or signed with another key, or addressed elsewhere', async () => {
    const { h, task } = await started();
    const post = (n: TestNode, m: unknown) => h.node(n, 'POST', '/v1/node/overlap/messages', m);
    expect((await post(b, message(b, 'o-a', task, 'request'))).status).toBe(403);
    expect((await post(a, message(a, 'o-c', task, 'request'))).status).toBe(403);
    const forged = await post(a, message(a, 'o-b', task, 'request', c));
    expect(forged.status).toBe(401);
    expect((await json(forged)).error.code).toBe('INVALID_SIGNATURE');
    expect((await post(a, message(a, 'o-b', task, 'reply'))).status).toBe(403);
    // The genuine request is taken once; the responder then gets it as its task.
    expect((await post(a, message(a, 'o-b', task, 'request'))).status).toBe(200);
    expect((await post(a, message(a, 'o-b', task, 'request'))).status).toBe(409);
    const replyTask = (
      (await json(await h.node(b, 'GET', '/v1/node/tasks'))).tasks as OverlapTask[]
    ).find((t) => t.pair === task.pair);
    expect(replyTask).toMatchObject({ step: 'reply', message: { from: 'o-a', to: 'o-b' } });
  });

  it('refuses a figure with another epsilon or bound than the job implies', async () => {
    const { h, task } = await started();
    await h.node(a, 'POST', '/v1/node/overlap/messages', message(a, 'o-b', task, 'request'));
    await h.node(b, 'POST', '/v1/node/overlap/messages', message(b, 'o-a', task, 'reply'));
    const figure = (bound: number) => {
      const signed = {
        jobId: task.jobId,
        pair: task.pair,
        node: 'o-a',
        peer: 'o-b',
        specHash: task.specHash,
        raw: 42,
        noise: 'on' as const,
        epsilonMicro: 1_000_000,
        bound,
      };
      return {
        version: 1,
        ...signed,
        signature: signCanonical(
          OVERLAP_RELEASE_DOMAIN,
          overlapReleaseSigningPayload(signed),
          a.signing.secretKey
        ),
      };
    };
    // A bound of 0 would claim no noise was added.
    expect((await h.node(a, 'POST', '/v1/node/overlap/releases', figure(0))).status).toBe(400);
    expect((await h.node(b, 'POST', '/v1/node/overlap/releases', figure(23))).status).toBe(403);
    expect((await h.node(a, 'POST', '/v1/node/overlap/releases', figure(23))).status).toBe(200);
    const result = await json(await h.op('GET', `/v1/jobs/${task.jobId}/result`));
    expect(result.overlap.pairs[task.pair]).toMatchObject({
      status: 'published',
      raw: 42,
      estimate: 42,
    });
  });
});
