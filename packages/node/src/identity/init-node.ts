import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  IdSchema,
  PolicySchema,
  ProtocolError,
  generateBoxKeyPair,
  generateSigningKeyPair,
  randomBytes,
} from '@fedmark/protocol';
import { NODE_DB_FILE, openNodeDatabase } from '../store/database.ts';
import { appendLedgerEntry } from '../ledger/append.ts';
import {
  IDENTITY_FILE,
  POLICY_FILE,
  identityToFile,
  publicIdentity,
  type NodeIdentity,
  type NodePublicIdentity,
} from './identity.ts';

export interface InitNodeOptions {
  dir: string;
  name: string;
  /** Policy `members` (default `approve`): `auto` for demos and tests (docs/node-data.md). */
  members?: 'auto' | 'approve';
}

export async function initNode(opts: InitNodeOptions): Promise<NodePublicIdentity> {
  const name = IdSchema.safeParse(opts.name);
  if (!name.success)
    throw new ProtocolError(
      'BAD_REQUEST',
      `node name "${String(opts.name).slice(0, 64)}": ${name.error.issues[0]?.message ?? 'invalid'}`
    );
  const { dir } = opts;
  for (const f of [IDENTITY_FILE, NODE_DB_FILE, POLICY_FILE]) {
    if (existsSync(join(dir, f)))
      throw new ProtocolError(
        'CONFLICT',
        `${dir} already holds a node (${f} exists); refusing to overwrite it`
      );
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const identity: NodeIdentity = {
    name: name.data,
    signing: generateSigningKeyPair(),
    box: generateBoxKeyPair(),
    // noble's randomBytes draws from the platform CSPRNG (crypto.getRandomValues).
    pepper: randomBytes(32),
  };
  const idFile = join(dir, IDENTITY_FILE);
  // 'wx' fails if another init raced us; mode 0600 at creation so the secret is never readable
  // by others, even briefly (chmod again in case the filesystem ignored the creation mode).
  writeFileSync(idFile, `${JSON.stringify(identityToFile(identity, new Date()), null, 2)}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  const pub = publicIdentity(identity);
  try {
    chmodSync(idFile, 0o600);
    writeFileSync(
      join(dir, POLICY_FILE),
      `${JSON.stringify(PolicySchema.parse(opts.members ? { members: opts.members } : {}), null, 2)}\n`,
      {
        flag: 'wx',
      }
    );
    const db = openNodeDatabase(dir);
    try {
      appendLedgerEntry(db, {
        type: 'node_initialized',
        body: { name: pub.name, signingKey: pub.signingKey, boxKey: pub.boxKey },
      });
    } finally {
      db.close();
    }
  } catch (err) {
    // A half-made node would block the next init (CONFLICT): remove what this call created.
    for (const f of [
      IDENTITY_FILE,
      POLICY_FILE,
      NODE_DB_FILE,
      `${NODE_DB_FILE}-wal`,
      `${NODE_DB_FILE}-shm`,
    ]) {
      rmSync(join(dir, f), { force: true });
    }
    throw err;
  }
  return pub;
}
