import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TlsPinError,
  createSelfSignedTlsCertificate,
  findReadyLine,
  pinnedFetch,
  tlsFingerprint,
  type ReadyLine,
} from '@fedmark/protocol';
import {
  FEDMARK_BIN,
  freePort,
  startFedmark,
  stopProcess,
} from '../packages/coordinator/src/simulate/processes.ts';

/**
 * The coordinator's transport (docs/operations.md "TLS", issue 14 item 8): HTTPS by default with
 * a key the clients pin. The attacks are a passive observer on the path (a TCP relay that keeps
 * every byte) and an impostor answering at the coordinator's address with a certificate of its
 * own. Before TLS the observer read the operator token in clear; the --insecure-http
 * coordinator shows that this is still so for plain HTTP, which is why only loopback may use it.
 */
const roots: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) await stopProcess(c);
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function fedmark(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [FEDMARK_BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The same without blocking this process: needed when the server it talks to runs in here. */
function fedmarkAsync(...args: string[]): Promise<{ code: number | null; err: string }> {
  const child = spawn(process.execPath, [FEDMARK_BIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((done) => child.on('close', (code) => done({ code, err })));
}

/** `coordinator start` on a free port; resolves with its ready line. */
async function startCoordinator(dir: string, extra: string[] = []): Promise<ReadyLine> {
  const port = String(await freePort());
  return untilReady(['coordinator', 'start', '--dir', dir, '--port', port, ...extra]);
}

/** Starts a server command; resolves with the ready line it prints. */
async function untilReady(args: string[]): Promise<ReadyLine> {
  let seen = '';
  const child = startFedmark(args, (line) => (seen += `${line}\n`));
  children.push(child);
  const until = Date.now() + 60_000;
  for (;;) {
    const ready = findReadyLine(seen);
    if (ready) return ready;
    if (child.exitCode !== null) throw new Error(`${args[0]} exited ${child.exitCode}: ${seen}`);
    if (Date.now() > until) throw new Error(`no ready line within 60 s: ${seen}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TCP relay to `port` that keeps every byte both ways: what anyone on the path sees. */
async function observer(
  port: number
): Promise<{ url: string; seen: () => Buffer; server: Server }> {
  const chunks: Buffer[] = [];
  const server = createTcpServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.on('data', (d: Buffer) => chunks.push(d));
    upstream.on('data', (d: Buffer) => chunks.push(d));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen: () => Buffer.concat(chunks),
    server,
  };
}

describe('the coordinator over TLS', () => {
  let dir: string;
  let token: string;
  let pin: string;
  let ready: ReadyLine;
  let impostor: HttpsServer;
  let impostorUrl: string;

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'fedmark-tls-'));
    roots.push(root);
    dir = join(root, 'coord');
    const init = fedmark('coordinator', 'init', '--dir', dir, '--json');
    expect(init.code, init.err).toBe(0);
    const made = JSON.parse(init.out) as { token: string; tlsFingerprint: string };
    token = made.token;
    pin = made.tlsFingerprint;
    ready = await startCoordinator(dir);
    // Someone else's HTTPS server for the same name: a certificate of its own, valid for 127.0.0.1.
    const other = await createSelfSignedTlsCertificate({ names: ['127.0.0.1', 'localhost'] });
    impostor = createHttpsServer({ cert: other.certPem, key: other.keyPem }, (_q, res) =>
      res.end('{"jobs":[]}')
    );
    await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
    impostorUrl = `https://127.0.0.1:${(impostor.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(() => impostor?.close());

  it('serves HTTPS with the key init made, and says so in its ready line', () => {
    expect(ready).toMatchObject({
      event: 'ready',
      service: 'coordinator',
      address: '127.0.0.1',
      tlsFingerprint: pin,
    });
    expect(ready.url).toBe(`https://127.0.0.1:${ready.port}`);
    expect(tlsFingerprint(readFileSync(join(dir, 'tls.crt'), 'utf8'))).toBe(pin);
  });

  it('shows a passive observer nothing it can read; over plain HTTP it reads the operator token', async () => {
    const tapTls = await observer(ready.port);
    const res = await pinnedFetch(pin)(`https://${tapTls.url}/v1/jobs`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ jobs: [] });
    expect(tapTls.seen().length).toBeGreaterThan(500);
    expect(tapTls.seen().includes(token)).toBe(false);
    expect(tapTls.seen().includes('/v1/jobs')).toBe(false);
    tapTls.server.close();

    // The same request to a coordinator serving plain HTTP (what every coordinator did before).
    const plain = await startCoordinator(dir, ['--insecure-http']);
    expect(plain.url).toMatch(/^http:\/\//);
    const tapPlain = await observer(plain.port);
    const open = await fetch(`http://${tapPlain.url}/v1/jobs`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(open.status).toBe(200);
    await open.text();
    expect(tapPlain.seen().includes(token)).toBe(true);
    tapPlain.server.close();
  });

  it('talks to no one else: an impostor with its own certificate is refused before the request is sent', async () => {
    let asked = 0;
    impostor.on('request', () => asked++);
    const err = await pinnedFetch(pin)(`${impostorUrl}/v1/jobs`, {
      headers: { authorization: `Bearer ${token}` },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsPinError);
    expect(asked).toBe(0);
    // The operator's CLI, as a user runs it.
    const job = await fedmarkAsync(
      'job',
      'list',
      '--coordinator',
      impostorUrl,
      '--token',
      token,
      '--tls-fingerprint',
      pin
    );
    expect(job.code).toBe(21);
    expect(job.err).toMatch(/presented TLS key sha256:[0-9a-f]{64}, not the pinned sha256:/);
    // A node enrolling at the impostor: refused, and nothing pinned.
    const nodeDir = join(dir, '..', 'node-a');
    expect(fedmark('node', 'init', '--dir', nodeDir, '--name', 'bank-a').code).toBe(0);
    const enroll = await fedmarkAsync(
      'node',
      'enroll',
      '--dir',
      nodeDir,
      '--coordinator',
      impostorUrl,
      '--token',
      'ab'.repeat(32),
      '--tls-fingerprint',
      pin
    );
    expect(enroll.code).not.toBe(0);
    expect(enroll.err).toContain(`not the pinned ${pin}`);
    expect(asked).toBe(0);
    expect(() => readFileSync(join(nodeDir, 'coordinator.json'))).toThrow();
  });

  it('answers no plain-HTTP request on its TLS port', async () => {
    await expect(fetch(`http://127.0.0.1:${ready.port}/health`)).rejects.toThrow();
  });

  it('refuses plain HTTP beyond loopback, HTTPS without a pin, and a key that is not the certificate’s', async () => {
    const wide = fedmark(
      'coordinator',
      'start',
      '--dir',
      dir,
      '--host',
      '0.0.0.0',
      '--insecure-http'
    );
    expect(wide.code).toBe(2);
    expect(wide.err).toContain('--insecure-http is allowed only on a loopback address');
    const unpinned = fedmark('job', 'list', '--coordinator', ready.url, '--token', token);
    expect(unpinned.code).toBe(2);
    expect(unpinned.err).toContain('no TLS fingerprint pinned');
    const otherKey = join(dir, '..', 'other.key');
    const other = await createSelfSignedTlsCertificate({ names: ['127.0.0.1'] });
    writeFileSync(otherKey, other.keyPem, { mode: 0o600 });
    const mismatch = fedmark(
      'coordinator',
      'start',
      '--dir',
      dir,
      '--tls-cert',
      join(dir, 'tls.crt'),
      '--tls-key',
      otherKey
    );
    expect(mismatch.code).toBe(23);
    expect(mismatch.err).toContain(`${otherKey} is not the private key of the certificate`);
  });

  it("serves a node's API over HTTPS when asked (beyond loopback it always does)", async () => {
    const nodeDir = join(dir, '..', 'node-tls');
    expect(fedmark('node', 'init', '--dir', nodeDir, '--name', 'shop-t').code).toBe(0);
    const api = await untilReady(['node', 'serve', '--dir', nodeDir, '--port', '0', '--tls']);
    expect(api).toMatchObject({ service: 'node', node: 'shop-t' });
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const nodePin = tlsFingerprint(readFileSync(join(nodeDir, 'tls.crt'), 'utf8'));
    expect(api['tlsFingerprint']).toBe(nodePin);
    expect((await pinnedFetch(nodePin)(`${api.url}/health`)).status).toBe(200);
    await expect(pinnedFetch(pin)(`${api.url}/health`)).rejects.toThrow(TlsPinError);
  });
});
