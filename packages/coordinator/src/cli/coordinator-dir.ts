import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import {
  DamagedDatabaseError,
  bytesToHex,
  hexToBytes,
  namingDamage,
  quickCheckFile,
  randomBytes,
  refuseEmptyFile,
  signingKeyPairFromSeed,
  type SigningKeyPair,
} from '@fedmark/protocol';
import { DB_FILE, openStore, ownerOnlyFile, type Store } from '../store/index.ts';
import { CliError, EXIT } from './exit-codes.ts';

export const KEY_FILE = 'coordinator.key';
export const TOKEN_FILE = 'operator.token';
/** The auditor's bearer token: reads the transparency log, refused on every operator endpoint. */
export const AUDITOR_TOKEN_FILE = 'auditor.token';
/** The transparency log of node checkpoints: append-only, and it must survive restarts. */
export const TRANSPARENCY_DB_FILE = 'transparency.db';

export interface CoordinatorDir {
  store: Store;
  coordinatorKey: SigningKeyPair;
  operatorToken: string;
  /** Absent in a directory created before the auditor role existed (no auditor.token file). */
  auditorToken?: string;
  transparencyDb: Database.Database;
}

export interface InitResult {
  token: string;
  tokenFile: string;
  auditorToken: string;
  auditorTokenFile: string;
  publicKey: string;
}

/** 256 bits from the CSPRNG, hex: far beyond guessing, and the same form for both roles. */
const newToken = (): string => bytesToHex(randomBytes(32));

/**
 * Creates a coordinator directory: the database, the coordinator's Ed25519 seed, the operator
 * token and the auditor token, every file 0600 and created exclusively (an existing one is
 * never overwritten).
 */
export function initCoordinatorDir(dir: string): InitResult {
  for (const f of [TOKEN_FILE, KEY_FILE, AUDITOR_TOKEN_FILE]) {
    if (existsSync(join(dir, f)))
      throw new CliError(
        EXIT.CONFLICT,
        `${dir} already holds a coordinator (${f} exists); refusing to overwrite it`
      );
  }
  openStore(dir).close();
  const seed = randomBytes(32);
  const token = newToken();
  const auditorToken = newToken();
  writeFileSync(join(dir, KEY_FILE), `${bytesToHex(seed)}\n`, { mode: 0o600, flag: 'wx' });
  writeFileSync(join(dir, TOKEN_FILE), `${token}\n`, { mode: 0o600, flag: 'wx' });
  writeFileSync(join(dir, AUDITOR_TOKEN_FILE), `${auditorToken}\n`, { mode: 0o600, flag: 'wx' });
  const publicKey = bytesToHex(signingKeyPairFromSeed(seed).publicKey);
  seed.fill(0); // the seed lives only in the key file from here on
  return {
    token,
    tokenFile: join(dir, TOKEN_FILE),
    auditorToken,
    auditorTokenFile: join(dir, AUDITOR_TOKEN_FILE),
    publicKey,
  };
}

/**
 * Adds an auditor token to a directory created before the auditor role existed. Refuses
 * (CONFLICT) when one exists: like the operator token it is shown once, at creation.
 */
export function addAuditorToken(dir: string): { auditorToken: string; auditorTokenFile: string } {
  if (!existsSync(join(dir, TOKEN_FILE)))
    throw new CliError(
      EXIT.NO_COORDINATOR,
      `no coordinator at ${dir} (run "fedmark coordinator init --dir ${dir}" first)`
    );
  const file = join(dir, AUDITOR_TOKEN_FILE);
  if (existsSync(file))
    throw new CliError(
      EXIT.CONFLICT,
      `${file} already exists; refusing to overwrite it (read the token from that file)`
    );
  const auditorToken = newToken();
  writeFileSync(file, `${auditorToken}\n`, { mode: 0o600, flag: 'wx' });
  return { auditorToken, auditorTokenFile: file };
}

function readToken(file: string): string {
  const token = readFileSync(file, 'utf8').trim();
  if (token.length < 16) throw new CliError(EXIT.FAILURE, `${file}: token too short`);
  return token;
}

/**
 * Opens the coordinator directory. `checkIntegrity` (for `coordinator start`) also runs SQLite's
 * quick_check over both databases first. A damaged database is exit DATABASE_DAMAGED naming the
 * file and what to do, never a coordinator that starts empty or answers 500 later.
 */
export function openCoordinatorDir(
  dir: string,
  opts: { checkIntegrity?: boolean } = {}
): CoordinatorDir {
  try {
    return openDir(dir, opts.checkIntegrity === true);
  } catch (err) {
    if (err instanceof DamagedDatabaseError) throw new CliError(EXIT.DATABASE_DAMAGED, err.message);
    throw err;
  }
}

function openDir(dir: string, checkIntegrity: boolean): CoordinatorDir {
  if (
    !existsSync(join(dir, DB_FILE)) ||
    !existsSync(join(dir, KEY_FILE)) ||
    !existsSync(join(dir, TOKEN_FILE))
  ) {
    throw new CliError(
      EXIT.NO_COORDINATOR,
      `no coordinator at ${dir} (run "fedmark coordinator init --dir ${dir}" first)`
    );
  }
  const seedHex = readFileSync(join(dir, KEY_FILE), 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(seedHex))
    throw new CliError(EXIT.FAILURE, `${join(dir, KEY_FILE)}: expected 64 hex characters`);
  const token = readToken(join(dir, TOKEN_FILE));
  const auditorFile = join(dir, AUDITOR_TOKEN_FILE);
  const auditorToken = existsSync(auditorFile) ? readToken(auditorFile) : undefined;
  if (auditorToken === token)
    throw new CliError(
      EXIT.FAILURE,
      `${auditorFile}: the auditor token must differ from the operator token`
    );
  if (checkIntegrity) {
    for (const f of [DB_FILE, TRANSPARENCY_DB_FILE]) {
      if (existsSync(join(dir, f))) quickCheckFile(join(dir, f), readOnly);
    }
  }
  const seed = hexToBytes(seedHex);
  const coordinatorKey = signingKeyPairFromSeed(seed);
  seed.fill(0);
  return {
    store: openStore(dir),
    coordinatorKey,
    operatorToken: token,
    ...(auditorToken ? { auditorToken } : {}),
    transparencyDb: openTransparencyDb(dir),
  };
}

const readOnly = (file: string) => new Database(file, { readonly: true, fileMustExist: true });

/** Same durability as the coordinator's own database: WAL, and fsync on every commit. */
function openTransparencyDb(dir: string): Database.Database {
  const file = join(dir, TRANSPARENCY_DB_FILE);
  refuseEmptyFile(file);
  const db = new Database(ownerOnlyFile(file));
  namingDamage(file, () => db.pragma('journal_mode = WAL'));
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  return db;
}
