import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Decision } from './decision.ts';

/**
 * Writing decisions (or any lines) to a file all-or-nothing: into a temporary file beside the
 * target, flushed to disk, then renamed over it (rename is atomic on one file system). A failure
 * part-way removes the temporary file and leaves any earlier file at `out` as it was.
 */

const CHUNK_CHARS = 1 << 20;

export async function writeLinesAtomically(
  out: string,
  lines: Iterable<string> | AsyncIterable<string>
): Promise<number> {
  const tmp = join(
    dirname(out),
    `.${basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  );
  const fd = openSync(tmp, 'wx', 0o600);
  let n = 0;
  try {
    let buf = '';
    for await (const line of lines) {
      buf += line;
      n++;
      if (buf.length >= CHUNK_CHARS) {
        writeSync(fd, buf);
        buf = '';
      }
    }
    writeSync(fd, buf);
    fsyncSync(fd);
    closeSync(fd);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      /* already closed: the original error is the one to report */
    }
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return n;
}

export const DECISION_CSV_HEADER =
  'customer_id,action,campaign,offer,strategy,channel,send_at,send_at_local,reason,rules\n';

export function csvCell(v: string | null): string {
  if (v === null) return '';
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One CSV line; `rules` is `rule: detail` joined by `; `. */
export function decisionToCsv(d: Decision): string {
  return `${[
    d.customerId,
    d.action?.id ?? null,
    d.action?.campaign ?? null,
    d.action?.offer ?? null,
    d.action?.strategy ?? null,
    d.channel,
    d.sendAt,
    d.sendAtLocal,
    d.reason,
    d.rules.map((r) => `${r.rule}: ${r.detail}`).join('; '),
  ]
    .map(csvCell)
    .join(',')}\n`;
}

export const decisionToJsonLine = (d: Decision): string => `${JSON.stringify(d)}\n`;

/** CSV for `.csv`, JSON Lines for anything else (`.jsonl`, `.ndjson`). */
export function decisionFormat(out: string): 'csv' | 'jsonl' {
  return out.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl';
}
