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
  /** member -> base64 sealed box (opaque to the coordinator). */
  sealed: Record<string, string> | null;
  bundleSignature: string | null;
  createdAt: string;
  acked: string[];
}

/** HE key epochs. The coordinator stores only public material and opaque sealed boxes. */
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
      sealed: Record<string, string>;
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
  sealed: string | null;
  bundle_signature: string | null;
  created_at: string;
}

export const keyIdOf = (seq: number): string => `k${seq}`;

export function seqOfKeyId(keyId: string): number | undefined {
  const m = /^k([1-9][0-9]{0,8})$/.exec(keyId);
  return m ? Number(m[1]) : undefined;
}

export function sqliteKeyStore(db: Db): KeyStore {
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
      'UPDATE key_epochs SET public_key = ?, public_key_hash = ?, sealed = ?, bundle_signature = ? WHERE seq = ?'
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
    sealed: r.sealed ? (JSON.parse(r.sealed) as Record<string, string>) : null,
    bundleSignature: r.bundle_signature,
    createdAt: r.created_at,
    acked: q.acks.all(r.seq).map((a) => a.node),
  });
  return {
    latest: () => {
      const r = q.latest.get();
      return r ? fromRow(r) : undefined;
    },
    get: (keyId) => {
      const seq = seqOfKeyId(keyId);
      const r = seq === undefined ? undefined : q.get.get(seq);
      return r ? fromRow(r) : undefined;
    },
    list: () => q.list.all().map(fromRow),
    create: (e) => {
      const seq = Number(
        q.insert.run(e.heParams, 'generating', JSON.stringify(e.members), e.generator, e.createdAt)
          .lastInsertRowid
      );
      return fromRow(q.get.get(seq) as EpochRow);
    },
    storeBundle: (seq, b) =>
      void q.bundle.run(
        Buffer.from(b.publicKey),
        b.publicKeyHash,
        JSON.stringify(b.sealed),
        b.signature,
        seq
      ),
    setState: (seq, state) => void q.state.run(state, seq),
    ack: (seq, node, signature, at) => void q.ack.run(seq, node, signature, at),
  };
}
