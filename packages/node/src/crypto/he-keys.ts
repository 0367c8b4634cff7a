import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  HeParamsIdSchema,
  IdSchema,
  KeyIdSchema,
  MemberSchema,
  Hash256Schema,
  fromBase64,
  publicKeyHash,
  toBase64,
  type HeParamsId,
  type Member,
} from '@fedmark/protocol';

/** Folder inside the node dir holding one file per HE key epoch (mode 0700, files 0600). */
export const HE_KEYS_DIR = 'he-keys';

const HeKeyFileSchema = z.object({
  version: z.literal(1),
  keyId: KeyIdSchema,
  heParams: HeParamsIdSchema,
  generator: IdSchema,
  members: z.array(MemberSchema).min(1),
  publicKey: z.string().min(4),
  publicKeyHash: Hash256Schema,
  secretKey: z.string().min(4),
  storedAt: z.string(),
});

/** One installed HE key epoch. `secretKey` is the federation's secret: never log or send it in clear. */
export interface StoredHeKey {
  keyId: string;
  heParams: HeParamsId;
  generator: string;
  /** Members as the key ceremony named them: the signing keys later contributions are checked against. */
  members: Member[];
  publicKey: Uint8Array;
  publicKeyHash: string;
  secretKey: Uint8Array;
}

function keyFile(dir: string, keyId: string): string {
  if (!KeyIdSchema.safeParse(keyId).success)
    throw new TypeError(
      `"keyId" expected a key id like k3, got ${JSON.stringify(String(keyId).slice(0, 32))}`
    );
  return join(dir, HE_KEYS_DIR, `${keyId}.json`);
}

export function hasHeKey(dir: string, keyId: string): boolean {
  return existsSync(keyFile(dir, keyId));
}

/**
 * Writes `<dir>/he-keys/<keyId>.json` with mode 0600 (temp file + rename, so a crash never
 * leaves half a key). An existing key for the same epoch is kept if it is the same key, and
 * refused otherwise: an epoch's key never changes.
 */
export function saveHeKey(dir: string, key: StoredHeKey): void {
  const file = keyFile(dir, key.keyId);
  if (publicKeyHash(key.publicKey) !== key.publicKeyHash)
    throw new RangeError(`HE key ${key.keyId}: publicKeyHash does not match publicKey`);
  if (existsSync(file)) {
    const old = loadHeKey(dir, key.keyId);
    if (old.publicKeyHash === key.publicKeyHash) return;
    throw new Error(
      `${file}: a different key for epoch ${key.keyId} is already installed; refusing to replace it`
    );
  }
  mkdirSync(join(dir, HE_KEYS_DIR), { recursive: true, mode: 0o700 });
  const body: z.infer<typeof HeKeyFileSchema> = {
    version: 1,
    keyId: key.keyId,
    heParams: key.heParams,
    generator: key.generator,
    members: key.members,
    publicKey: toBase64(key.publicKey),
    publicKeyHash: key.publicKeyHash,
    secretKey: toBase64(key.secretKey),
    storedAt: new Date().toISOString(),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(body)}\n`, { mode: 0o600, flag: 'w' });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * Keys parsed in this process, by file, with the file's identity when it was read (docs/scale.md
 * "Cheap federation"): a round reads its epoch's key up to five times (pinned members, setup,
 * masked input, unmask, decryption), and each read parsed ~1 MB of JSON and hashed the public key.
 * A file that was replaced, rewritten or removed since is read again (or refused): the cache
 * never outlives the file it came from. It holds the secret key for the life of the process, as
 * SEAL's own key cache (protocol he.ts) already does; callers get copies they may zero.
 */
const PARSED = new Map<string, { stamp: string; key: StoredHeKey }>();

function copyOf(k: StoredHeKey): StoredHeKey {
  return {
    ...k,
    members: k.members.map((m) => ({ ...m })),
    publicKey: k.publicKey.slice(),
    secretKey: k.secretKey.slice(),
  };
}

/** Reads an installed key; refuses a file readable by group or others. Messages never hold key bytes. */
export function loadHeKey(dir: string, keyId: string): StoredHeKey {
  const file = keyFile(dir, keyId);
  if (!existsSync(file)) {
    PARSED.delete(file);
    throw new Error(`${file}: HE key epoch ${keyId} is not installed on this node`);
  }
  const st = statSync(file, { bigint: true });
  // Checked on every load, cached or not: a key file opened up to others is refused at once.
  if (process.platform !== 'win32' && (st.mode & 0o077n) !== 0n) {
    throw new Error(
      `${file}: permissions ${(st.mode & 0o777n).toString(8)} are too open for an HE secret key (run: chmod 600 ${file})`
    );
  }
  const stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  const hit = PARSED.get(file);
  if (hit?.stamp === stamp) return copyOf(hit.key);
  const key = parseHeKeyFile(file);
  PARSED.set(file, { stamp, key });
  return copyOf(key);
}

function parseHeKeyFile(file: string): StoredHeKey {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`${file}: corrupt HE key file (not valid JSON)`);
  }
  const parsed = HeKeyFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${file}: corrupt HE key file: field "${issue?.path.join('.') || '(root)'}" ${issue?.message ?? 'invalid'}`
    );
  }
  const f = parsed.data;
  const publicKey = fromBase64(f.publicKey, `${file} publicKey`);
  if (publicKeyHash(publicKey) !== f.publicKeyHash)
    throw new Error(`${file}: corrupt HE key file: publicKeyHash does not match publicKey`);
  return {
    keyId: f.keyId,
    heParams: f.heParams,
    generator: f.generator,
    members: f.members,
    publicKey,
    publicKeyHash: f.publicKeyHash,
    secretKey: fromBase64(f.secretKey, `${file} secretKey`),
  };
}

/** Ids of the HE key epochs installed on this node, oldest first (k1, k2, ..., by number). */
export function listHeKeyIds(dir: string): string[] {
  const folder = join(dir, HE_KEYS_DIR);
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .map((f) => /^(k[1-9][0-9]{0,8})\.json$/.exec(f)?.[1])
    .filter((id): id is string => id !== undefined)
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
}

/**
 * Members of `members` whose signing or box key differs from the keys an earlier installed epoch
 * recorded for the same name. A changed box key is how a coordinator that swapped keys would
 * receive the federation secret; a node re-admitted with new keys looks the same, so this is
 * reported (log and ledger) for the operator and auditors rather than refused.
 */
export function changedMemberKeys(
  dir: string,
  members: readonly Member[],
  exceptKeyId?: string
): string[] {
  const known = new Map<string, Member>();
  for (const id of listHeKeyIds(dir)) {
    if (id === exceptKeyId) continue;
    try {
      for (const m of loadHeKey(dir, id).members) known.set(m.name, m);
    } catch {
      // An unreadable old epoch says nothing about keys; loadHeKey's error shows up where it is used.
    }
  }
  return members
    .filter((m) => {
      const k = known.get(m.name);
      return k !== undefined && (k.signingKey !== m.signingKey || k.boxKey !== m.boxKey);
    })
    .map((m) => m.name);
}
