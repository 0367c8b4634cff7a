/**
 * Internal test helper: a throwaway PostgreSQL cluster on 127.0.0.1 for the warehouse tests and
 * bench. initdb into a temp directory, start on a free port with trust authentication (loopback
 * only), stop and delete on `stop()`. initdb refuses to run as root, so as root the cluster runs
 * as the `postgres` user (Debian's package creates it) through runuser.
 *
 * Without the binaries the tests are skipped loudly, except where FEDMARK_REQUIRE_POSTGRES=1
 * (.ci/run sets it after installing Debian's postgresql): there a missing server is a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN_CANDIDATES = [
  '/usr/lib/postgresql/17/bin',
  '/usr/lib/postgresql/16/bin',
  '/usr/lib/postgresql/15/bin',
];

/** The directory holding initdb and pg_ctl: FEDMARK_PG_BIN, else the newest Debian install. */
export function postgresBinDir(): string | null {
  const env = process.env['FEDMARK_PG_BIN'];
  if (env) return existsSync(join(env, 'initdb')) ? env : null;
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const dir = `/usr/lib/postgresql/${v}/bin`;
      if (existsSync(join(dir, 'initdb'))) return dir;
    }
  }
  return BIN_CANDIDATES.find((d) => existsSync(join(d, 'initdb'))) ?? null;
}

export function postgresAvailability(): { ok: true; bin: string } | { ok: false; reason: string } {
  const bin = postgresBinDir();
  if (bin) return { ok: true, bin };
  const reason =
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install them with 'apt-get install -y postgresql' (or set FEDMARK_PG_BIN)";
  if (process.env['FEDMARK_REQUIRE_POSTGRES'] === '1')
    throw new Error(`${reason}; FEDMARK_REQUIRE_POSTGRES=1 forbids skipping the warehouse tests`);
  process.stderr.write(`\n!!! SKIPPING the PostgreSQL warehouse tests: ${reason}\n\n`);
  return { ok: false, reason };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))
      );
    });
  });
}

export interface TestPostgres {
  /** postgresql://fedmark@127.0.0.1:<port>/postgres (superuser, trust auth, loopback only). */
  url: string;
  port: number;
  bin: string;
  /** Runs a SQL script through psql (ON_ERROR_STOP), as the superuser. */
  psql(sql: string): string;
  stop(): void;
}

export async function startTestPostgres(
  bin: string,
  opts: { settings?: Record<string, string> } = {}
): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'fedmark-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // Only the server side (initdb, pg_ctl) changes user; psql stays this user, so `\copy` reads
  // files this process can read.
  const run = (cmd: string, args: string[], input?: string): string => {
    const [file, argv] =
      asRoot && cmd !== 'psql'
        ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]]
        : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: 'utf8', input, maxBuffer: 64 << 20 });
    if (r.status !== 0)
      throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout || r.error?.message}`);
    return r.stdout;
  };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  run('initdb', [
    '-D',
    data,
    '-U',
    'fedmark',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    fsync: 'off',
    ...opts.settings,
  };
  const o = Object.entries(settings)
    .map(([k, v]) => `-c ${k}=${v}`)
    .join(' ');
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', o, '-w', '-t', '60', 'start']);
  const url = `postgresql://fedmark@127.0.0.1:${port}/postgres`;
  let stopped = false;
  // A run that ends without stop() (a failed hook, an exception) must not leave a server behind.
  const onExit = (): void => stop();
  process.on('exit', onExit);
  return {
    url,
    port,
    bin,
    psql: (sql) =>
      run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-At', '-d', url, '-f', '-'], sql),
    stop,
  };
  function stop(): void {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
