import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { bytesToHex, hexToBytes, randomBytes, signingKeyPairFromSeed, type SigningKeyPair } from '@fedmark/protocol';
import { DB_FILE, openStore, type Store } from '../store/index.ts';
import { CliError, EXIT } from './exit-codes.ts';

export const KEY_FILE = 'coordinator.key';
export const TOKEN_FILE = 'operator.token';
/** The transparency log of node checkpoints: append-only, and it must survive restarts. */
export const TRANSPARENCY_DB_FILE = 'transparency.db';

export interface CoordinatorDir {
  store: Store;
  coordinatorKey: SigningKeyPair;
  operatorToken: string;
  transparencyDb: Database.Database;
}

/**
 * Creates a coordinator directory: the database, the coordinator's Ed25519 seed and the
 * operator token, both files 0600 and created exclusively (an existing one is never overwritten).
 */
export function initCoordinatorDir(dir: string): { token: string; tokenFile: string; publicKey: string } {
  if (existsSync(join(dir, TOKEN_FILE)) || existsSync(join(dir, KEY_FILE))) {
    throw new CliError(EXIT.CONFLICT, `${dir} already holds a coordinator (${TOKEN_FILE} exists); refusing to overwrite it`);
  }
  openStore(dir).close();
  const seed = randomBytes(32);
  const token = bytesToHex(randomBytes(32));
  writeFileSync(join(dir, KEY_FILE), `${bytesToHex(seed)}\n`, { mode: 0o600, flag: 'wx' });
  writeFileSync(join(dir, TOKEN_FILE), `${token}\n`, { mode: 0o600, flag: 'wx' });
  const publicKey = bytesToHex(signingKeyPairFromSeed(seed).publicKey);
  seed.fill(0); // the seed lives only in the key file from here on
  return { token, tokenFile: join(dir, TOKEN_FILE), publicKey };
}

export function openCoordinatorDir(dir: string): CoordinatorDir {
  if (!existsSync(join(dir, DB_FILE)) || !existsSync(join(dir, KEY_FILE)) || !existsSync(join(dir, TOKEN_FILE))) {
    throw new CliError(EXIT.NO_COORDINATOR, `no coordinator at ${dir} (run "fedmark coordinator init --dir ${dir}" first)`);
  }
  const seedHex = readFileSync(join(dir, KEY_FILE), 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(seedHex)) throw new CliError(EXIT.FAILURE, `${join(dir, KEY_FILE)}: expected 64 hex characters`);
  const token = readFileSync(join(dir, TOKEN_FILE), 'utf8').trim();
  if (token.length < 16) throw new CliError(EXIT.FAILURE, `${join(dir, TOKEN_FILE)}: token too short`);
  const seed = hexToBytes(seedHex);
  const coordinatorKey = signingKeyPairFromSeed(seed);
  seed.fill(0);
  return { store: openStore(dir), coordinatorKey, operatorToken: token, transparencyDb: openTransparencyDb(dir) };
}

/** Same durability as the coordinator's own database: WAL, and fsync on every commit. */
function openTransparencyDb(dir: string): Database.Database {
  const db = new Database(join(dir, TRANSPARENCY_DB_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}
