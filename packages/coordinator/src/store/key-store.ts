import type { Member } from '@fedmark/protocol';
import type { Db } from './db.ts';

export type EpochState = 'generating' | 'installing' | 'active' | 'retired';

export interface EpochRecord {
  seq: number;
  keyId: string;
  heParams: string;
  state: EpochState;
  members: Member[];
  generator: string;
  /** Serialized SEAL public key; null until the generator sent its bundle. Never a secret key. */
  publicKey: Uint8Array | null;
  publicKeyHash: string | null;
  /** nonce || secretbox of the secret key under the data key (opaque to the coordinator). */
  encryptedSecretKey: Uint8Array | null;
  /** member -> base64 data key sealed to it (72 bytes, opaque to the coordinator). */
  sealedDataKeys: Record<string, string> | null;
  bundleSignature: string | null;
  createdAt: string;
  acked: string[];
}

/** HE key epochs. The coordinator stores only public material and opaque sealed blobs. */
export interface KeyStore {
  latest(): EpochRecord | undefined;
  get(keyId: string): EpochRecord | undefined;
  list(): EpochRecord[];
  create(e: {
    heParams: string;
    members: Member[];
    generator: string;
    createdAt: string;
  }): EpochRecord;
  storeBundle(
    seq: number,
    b: {
      publicKey: Uint8Array;
      publicKeyHash: string;
      encryptedSecretKey: Uint8Array;
      sealedDataKeys: Record<string, string>;
      signature: string;
    }
  ): void;
  setState(seq: number, state: EpochState): void;
  ack(seq: number, node: string, signature: string, at: string): void;
}

interface EpochRow {
  seq: number;
  he_params: string;
  state: EpochState;
  members: string;
  generator: string;
  public_key: Buffer | null;
  public_key_hash: string | null;
  /** JSON of the sealed data keys (the column kept its version 1 name). */
  sealed: string | null;
  encrypted_secret_key: Buffer | null;
  bundle_signature: string | null;
  created_at: string;
}

export const keyIdOf = (seq: number): string => `k${seq}`;

export function seqOfKeyId(keyId: string): number | undefined {
  const m = /^k([1-9][0-9]{0,8})$/.exec(keyId);
  return m ? Number(m[1]) : undefined;
}

/** A copy a caller may change without changing the cached record (the public key bytes too). */
function copyOf(e: EpochRecord): EpochRecord {
  return {
    ...e,
    members: e.members.map((m) => ({ ...m })),
    publicKey: e.publicKey ? e.publicKey.slice() : null,
    encryptedSecretKey: e.encryptedSecretKey ? e.encryptedSecretKey.slice() : null,
    sealedDataKeys: e.sealedDataKeys ? { ...e.sealedDataKeys } : null,
    acked: [...e.acked],
  };
}

/**
 * Epochs are read on every task poll, and a row holds the public key (~271 KB), the encrypted
 * secret key (~271 KB) and the sealed data keys (96 characters per member, as JSON): parsed rows are kept in memory and served while the
 * key tables are unchanged (docs/coordinator.md "Caches"). They are written only through this
 * module, so a counter bumped by each write below covers this connection, and `PRAGMA
 * data_version` covers commits by any other connection (`coordinator admit` in another process
 * starts epochs). Inside a transaction nothing is cached or served from the cache: a rollback
 * would otherwise leave uncommitted rows in it.
 */
export function sqliteKeyStore(db: Db): KeyStore {
  const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  let writes = 0;
  let cache: { stamp: string; bySeq: Map<number, EpochRecord>; latest?: number | null } = {
    stamp: '',
    bySeq: new Map(),
  };
  /** The cache, emptied first if the key tables may have changed; undefined inside a transaction. */
  const current = () => {
    if (db.inTransaction) return undefined;
    const stamp = `${dataVersion.get() as number}.${writes}`;
    if (cache.stamp !== stamp) cache = { stamp, bySeq: new Map() };
    return cache;
  };
  const write = <T>(result: T): T => {
    writes++;
    return result;
  };
  const q = {
    latest: db.prepare<[], EpochRow>('SELECT * FROM key_epochs ORDER BY seq DESC LIMIT 1'),
    get: db.prepare<[number], EpochRow>('SELECT * FROM key_epochs WHERE seq = ?'),
    list: db.prepare<[], EpochRow>('SELECT * FROM key_epochs ORDER BY seq'),
    acks: db.prepare<[number], { node: string }>(
      'SELECT node FROM key_acks WHERE seq = ? ORDER BY node'
    ),
    insert: db.prepare(
      'INSERT INTO key_epochs (he_params, state, members, generator, created_at) VALUES (?, ?, ?, ?, ?)'
    ),
    bundle: db.prepare(
      'UPDATE key_epochs SET public_key = ?, public_key_hash = ?, encrypted_secret_key = ?, sealed = ?, bundle_signature = ? WHERE seq = ?'
    ),
    state: db.prepare('UPDATE key_epochs SET state = ? WHERE seq = ?'),
    ack: db.prepare(
      'INSERT OR IGNORE INTO key_acks (seq, node, signature, at) VALUES (?, ?, ?, ?)'
    ),
  };
  const fromRow = (r: EpochRow): EpochRecord => ({
    seq: r.seq,
    keyId: keyIdOf(r.seq),
    heParams: r.he_params,
    state: r.state,
    members: JSON.parse(r.members) as Member[],
    generator: r.generator,
    publicKey: r.public_key ? new Uint8Array(r.public_key) : null,
    publicKeyHash: r.public_key_hash,
    encryptedSecretKey: r.encrypted_secret_key ? new Uint8Array(r.encrypted_secret_key) : null,
    sealedDataKeys: r.sealed ? (JSON.parse(r.sealed) as Record<string, string>) : null,
    bundleSignature: r.bundle_signature,
    createdAt: r.created_at,
    acked: q.acks.all(r.seq).map((a) => a.node),
  });
  const bySeq = (seq: number): EpochRecord | undefined => {
    const c = current();
    const hit = c?.bySeq.get(seq);
    if (hit) return copyOf(hit);
    const r = q.get.get(seq);
    if (!r) return undefined;
    const record = fromRow(r);
    c?.bySeq.set(seq, record);
    return copyOf(record);
  };
  return {
    latest: () => {
      const c = current();
      if (c && c.latest !== undefined) return c.latest === null ? undefined : bySeq(c.latest);
      const r = q.latest.get();
      if (c) c.latest = r ? r.seq : null;
      return r ? bySeq(r.seq) : undefined;
    },
    get: (keyId) => {
      const seq = seqOfKeyId(keyId);
      return seq === undefined ? undefined : bySeq(seq);
    },
    list: () => q.list.all().map(fromRow),
    create: (e) => {
      const seq = Number(
        write(
          q.insert.run(
            e.heParams,
            'generating',
            JSON.stringify(e.members),
            e.generator,
            e.createdAt
          )
        ).lastInsertRowid
      );
      return fromRow(q.get.get(seq) as EpochRow);
    },
    storeBundle: (seq, b) =>
      void write(
        q.bundle.run(
          Buffer.from(b.publicKey),
          b.publicKeyHash,
          Buffer.from(b.encryptedSecretKey),
          JSON.stringify(b.sealedDataKeys),
          b.signature,
          seq
        )
      ),
    setState: (seq, state) => void write(q.state.run(state, seq)),
    ack: (seq, node, signature, at) => void write(q.ack.run(seq, node, signature, at)),
  };
}
