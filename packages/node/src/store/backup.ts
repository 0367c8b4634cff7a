import Database from 'better-sqlite3';
import { TLS_CERT_FILE, TLS_KEY_FILE, backupDirectory, quickCheckFile } from '@fedmark/protocol';
import { IDENTITY_FILE, POLICY_FILE } from '../identity/index.ts';
import { COORDINATOR_FILE } from '../federation/enroll.ts';
import { API_TOKENS_FILE } from '../api/tokens.ts';
import { HE_KEYS_DIR } from '../crypto/he-keys.ts';
import { NODE_DB_FILE } from './database.ts';

/**
 * A consistent copy of a node directory, safe while the node runs (docs/operations.md
 * "Backups"): node.db through SQLite's online backup, checked; identity, policy, pinned
 * coordinator, API tokens and HE keys copied owner-only. The copy is a complete node directory:
 * restoring is pointing `--dir` at it. It holds every secret the node has (its signing and box
 * keys, the HE secret key, the pepper): keep it as carefully as the node itself.
 */
export function backupNodeDirectory(dir: string, to: string): Promise<string[]> {
  return backupDirectory({
    from: dir,
    to,
    databases: [NODE_DB_FILE],
    files: [
      IDENTITY_FILE,
      POLICY_FILE,
      COORDINATOR_FILE,
      API_TOKENS_FILE,
      TLS_KEY_FILE,
      TLS_CERT_FILE,
    ],
    dirs: [HE_KEYS_DIR],
    openReadonly: (file) => new Database(file, { readonly: true, fileMustExist: true }),
    check: (file) =>
      quickCheckFile(file, (f) => new Database(f, { readonly: true, fileMustExist: true })),
  });
}
