import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logLevelFrom } from './logging.ts';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return {
    stream,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes one JSON object a line with level, time, service and node', () => {
    const out = capture();
    const log = createLogger({ service: 'node', node: 'bank-b', destination: out.stream });
    log.warn({ event: 'task_failed', job: 'j-1' }, 'refused');
    const [line] = out.lines();
    expect(line).toMatchObject({
      level: 'warn',
      service: 'node',
      node: 'bank-b',
      event: 'task_failed',
      job: 'j-1',
      msg: 'refused',
    });
    expect(Date.parse(String(line?.['time']))).not.toBeNaN();
  });

  it('redacts credential-named fields wherever a caller put them', () => {
    const out = capture();
    const log = createLogger({ service: 'coordinator', destination: out.stream });
    const token = 'f'.repeat(64);
    log.info({
      token,
      headers: { authorization: `Bearer ${token}`, cookie: 'sid=1' },
      detail: { node: { secretKey: 'ab'.repeat(32) } },
      node: 'kept',
    });
    const text = JSON.stringify(out.lines());
    expect(text).not.toContain(token);
    expect(text).not.toContain('ab'.repeat(32));
    expect(text).not.toContain('sid=1');
    expect(out.lines()[0]).toMatchObject({ token: '[redacted]', node: 'kept' });
  });

  it('drops lines below the level; FEDMARK_LOG_LEVEL sets it', () => {
    const out = capture();
    const log = createLogger({
      service: 'node',
      level: logLevelFrom({ FEDMARK_LOG_LEVEL: 'WARN' }),
      destination: out.stream,
    });
    log.info('routine');
    log.error('bad');
    expect(out.lines().map((l) => l['msg'])).toEqual(['bad']);
    expect(logLevelFrom({ FEDMARK_LOG_LEVEL: 'loud' })).toBe('info');
    expect(logLevelFrom({})).toBe('info');
  });
});
