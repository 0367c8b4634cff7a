import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { renderAuditHtml } from './export-html.ts';
import type { AuditReport } from './verify-node.ts';
// Imported, not read from disk next to this file: the compiled CLI is one bundle elsewhere.
import pkg from '../../package.json' with { type: 'json' };

/**
 * Writes `text` to `path` atomically: a temporary file in the same directory (so the rename
 * stays on one file system), flushed to disk, then renamed over `path`. A failure at any point
 * removes the temporary file and leaves `path` as it was: never half a report.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    writeSync(fd, text, null, 'utf8');
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** The node package's version (packages/node/package.json), printed in every report. */
export function toolVersion(): string {
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

export interface ExportOptions {
  /** HTML report path. */
  out: string;
  /** Optional JSON report path (the same AuditReport `audit verify --json` prints, plus meta). */
  jsonOut?: string;
  generatedAt?: Date;
}

/**
 * Writes the HTML report (and the JSON one) atomically. Both are rendered before either is
 * written, so a rendering error writes nothing.
 */
export function exportAuditReport(
  report: AuditReport,
  opts: ExportOptions
): { html: string; json: string | null } {
  const meta = { generatedAt: opts.generatedAt ?? new Date(), toolVersion: toolVersion() };
  const html = renderAuditHtml(report, meta);
  const json =
    opts.jsonOut === undefined
      ? null
      : `${JSON.stringify({ generatedAt: meta.generatedAt.toISOString(), toolVersion: meta.toolVersion, report }, null, 2)}\n`;
  writeFileAtomic(opts.out, html);
  if (opts.jsonOut !== undefined && json !== null) writeFileAtomic(opts.jsonOut, json);
  return { html, json };
}
