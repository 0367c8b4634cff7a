import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TlsUsageError, serverTls } from './server-tls.ts';
import { TlsFileError } from './tls-files.ts';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});
const dir = () => {
  const d = mkdtempSync(join(tmpdir(), 'fedmark-server-tls-'));
  roots.push(d);
  return d;
};

describe('serverTls', () => {
  it("a node's API: plain on loopback, TLS with a certificate made 0600 beyond it", async () => {
    const d = dir();
    expect(await serverTls({ dir: d, host: '127.0.0.1', tlsOnLoopback: false })).toBeUndefined();
    const made: string[] = [];
    const wide = await serverTls({
      dir: d,
      host: '0.0.0.0',
      tlsOnLoopback: false,
      onCreated: (x) => made.push(x),
    });
    expect(wide?.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(made).toEqual([d]);
    expect(statSync(join(d, 'tls.key')).mode & 0o777).toBe(0o600);
    // The same certificate next time: the pin clients hold stays valid.
    const again = await serverTls({ dir: d, host: '10.0.0.5', tlsOnLoopback: false });
    expect(again?.fingerprint).toBe(wide?.fingerprint);
  });

  it('the coordinator: TLS on loopback too; plain HTTP only when asked, and only on loopback', async () => {
    const d = dir();
    expect(await serverTls({ dir: d, host: '127.0.0.1', tlsOnLoopback: true })).toBeDefined();
    expect(
      await serverTls({ dir: d, host: '::1', tlsOnLoopback: true, insecureHttp: true })
    ).toBeUndefined();
    await expect(
      serverTls({ dir: d, host: '0.0.0.0', tlsOnLoopback: true, insecureHttp: true })
    ).rejects.toThrow(TlsUsageError);
    await expect(
      serverTls({ dir: d, host: '127.0.0.1', tlsOnLoopback: true, tlsCert: join(d, 'tls.crt') })
    ).rejects.toThrow('give both --tls-cert and --tls-key');
    await expect(
      serverTls({
        dir: d,
        host: '127.0.0.1',
        tlsOnLoopback: true,
        tlsCert: join(d, 'missing.crt'),
        tlsKey: join(d, 'tls.key'),
      })
    ).rejects.toThrow(TlsFileError);
  });
});
