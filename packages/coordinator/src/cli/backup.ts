import Database from 'better-sqlite3';
import { TLS_CERT_FILE, TLS_KEY_FILE, backupDirectory, quickCheckFile } from '@fedmark/protocol';
import { DB_FILE } from '../store/index.ts';
import {
  AUDITOR_TOKEN_FILE,
  KEY_FILE,
  TOKEN_FILE,
  TRANSPARENCY_DB_FILE,
} from './coordinator-dir.ts';

/**
 * A consistent copy of a coordinator directory, safe while it serves (docs/operations.md
 * "Backups"): the job store and the transparency log through SQLite's online backup, each
 * checked; the signing key and both tokens owner-only. Restoring is starting the coordinator on
 * the copy. It holds the coordinator's signing key and tokens: keep it as carefully as the
 * directory itself.
 */
export function backupCoordinatorDirectory(dir: string, to: string): Promise<string[]> {
  const open = (file: string) => new Database(file, { readonly: true, fileMustExist: true });
  return backupDirectory({
    from: dir,
    to,
    databases: [DB_FILE, TRANSPARENCY_DB_FILE],
    files: [KEY_FILE, TOKEN_FILE, AUDITOR_TOKEN_FILE, TLS_KEY_FILE, TLS_CERT_FILE],
    openReadonly: open,
    check: (file) => quickCheckFile(file, open),
  });
}
