import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@fedmark/protocol';
import { agentEventLevel, pinoAgentLog } from './agent-log.ts';

describe('the agent log', () => {
  it('writes each event as a structured line, warn for what needs attention', () => {
    let text = '';
    const destination = new Writable({
      write(chunk, _enc, done) {
        text += String(chunk);
        done();
      },
    });
    const log = pinoAgentLog(createLogger({ service: 'node', node: 'bank-b', destination }));
    log('round_submitting', { job: 'j-1', round: 0 });
    log('task_failed', { job: 'j-2', error: 'POLICY_REFUSED', token: 'a'.repeat(64) });
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l['level'], l['event'], l['node']])).toEqual([
      ['info', 'round_submitting', 'bank-b'],
      ['warn', 'task_failed', 'bank-b'],
    ]);
    expect(text).not.toContain('a'.repeat(64));
    expect(agentEventLevel('coordinator_unreachable')).toBe('warn');
    expect(agentEventLevel('checkpoint_sent')).toBe('info');
  });
});
