import { describe, expect, it } from 'vitest';
import type { LocalFederation } from './federation.ts';
import { consoleGuide } from './serve.ts';

const fed = {
  coordinatorUrl: 'https://127.0.0.1:7700',
  tlsFingerprint: 'sha256:ab',
  operatorToken: 'op',
  auditorToken: 'au',
  nodes: [
    { name: 'retail-a', dir: '/nonexistent/a', apiUrl: 'http://127.0.0.1:7801' },
    { name: 'bank-b', dir: '/nonexistent/b', apiUrl: 'http://127.0.0.1:7802' },
  ],
} as unknown as LocalFederation;

describe('simulate --serve guide', () => {
  it('points at the node where the demo decided, and only there', () => {
    const text = consoleGuide(fed, 'retail-a');
    expect(text).toContain(
      '  node retail-a  http://127.0.0.1:7801/console\n    decisions and the audience of this run: http://127.0.0.1:7801/console/actions'
    );
    expect(text.match(/decisions and the audience/g)).toHaveLength(1);
    expect(consoleGuide(fed)).not.toContain('decisions and the audience');
  });
});
