import { describe, expect, it } from 'vitest';
import { AUDITOR_TOKEN, OPERATOR_TOKEN, admit, harness, testNode } from '../_testing.ts';
import { checkpoint, ledger, submission } from '../transparency/_checkpoint-testing.ts';
import { session, testIdText } from './_console-testing.ts';

describe('console Transparency page', () => {
  it("shows the log head, each node's checkpoints and the refused rewrite to the auditor", async () => {
    const h = harness();
    const a = testNode('node-a', 1);
    const b = testNode('node-b', 2);
    await admit(h, a);
    await admit(h, b);
    const tree = ledger('a', 30);
    expect(
      (
        await h.node(
          a,
          'POST',
          '/v1/node/checkpoints',
          submission(checkpoint(a, tree, 10, 1), tree, 0)
        )
      ).status
    ).toBe(200);
    expect(
      (
        await h.node(
          a,
          'POST',
          '/v1/node/checkpoints',
          submission(checkpoint(a, tree, 25, 2), tree, 10)
        )
      ).status
    ).toBe(200);
    const forged = ledger('forged', 30);
    expect(
      (
        await h.node(
          a,
          'POST',
          '/v1/node/checkpoints',
          submission(checkpoint(a, forged, 30, 3), forged, 25)
        )
      ).status
    ).toBe(409);

    const au = await session(h.coordinator.app, AUDITOR_TOKEN);
    const page = await au.get('/console/transparency');
    expect(page.status).toBe(200);
    expect(testIdText(page.html, 'log-size')).toBe('2');
    const head = (await (await h.aud('GET', '/v1/transparency/head')).json()) as {
      head: { rootHash: string };
      coordinatorKey: string;
    };
    expect(page.html).toContain(`<code>${head.head.rootHash}</code>`);
    expect(page.html).toContain(`<code>${head.coordinatorKey}</code>`);
    // node-a: two checkpoints, the latest at ledger size 25 in log leaf 1, one refusal; node-b: none yet.
    expect(page.html).toMatch(
      /<td><a href="\/console\/transparency\/nodes\/node-a">node-a<\/a><\/td><td class="num">2<\/td><td class="num">25<\/td>[\s\S]*?<td class="num">1<\/td><td class="num">1<\/td><\/tr>/
    );
    expect(page.html).toContain(
      '<td class="num">0</td><td class="num">-</td><td>no checkpoint yet</td>'
    );
    expect(page.html).toMatch(
      /<td>node-a<\/td><td>2026-03-01 12:00:00 UTC<\/td><td>[^<]*not consistent[^<]*<\/td><td class="num">25<\/td>/
    );

    const detail = await au.get('/console/transparency/nodes/node-a');
    expect(detail.status).toBe(200);
    expect(detail.html).toContain('<h1>Checkpoints of node-a</h1>');
    expect(
      [...detail.html.matchAll(/<tr><td class="num">(\d+)<\/td><td class="num">(\d+)<\/td>/g)].map(
        (m) => [m[1], m[2]]
      )
    ).toEqual([
      ['0', '10'],
      ['1', '25'],
    ]);
    const none = await au.get('/console/transparency/nodes/node-b');
    expect(none.html).toContain('No checkpoint logged for this node yet.');
  });

  it('shows empty states on a fresh coordinator', async () => {
    const h = harness();
    const op = await session(h.coordinator.app, OPERATOR_TOKEN);
    const t = await op.get('/console/transparency');
    expect(testIdText(t.html, 'log-size')).toBe('0');
    expect(t.html).toContain('No nodes yet, so no checkpoints.');
    expect(t.html).toContain('No checkpoint was refused');
    expect((await op.get('/console/nodes')).html).toContain('No nodes admitted yet.');
    expect((await op.get('/console/nodes')).html).toContain('No key epochs yet');
    expect((await op.get('/console/results')).html).toContain('No results yet');
    expect((await op.get('/console/jobs')).html).toContain('<p class="empty">No jobs yet.</p>');
  });
});
