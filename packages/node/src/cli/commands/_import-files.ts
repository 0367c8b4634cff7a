import { basename } from 'node:path';
import { CliError, EXIT } from '../exit-codes.ts';
import { IMPORT_KINDS, type ImportKind } from '../../importing/formats.ts';

/**
 * Which kind each file of `fedmark node import` holds (docs/node-cli.md "import"): `--kind` for
 * all of them, else a `customers:`, `events:`, `touches:`, `consents:` or `table:NAME:` prefix,
 * else a file named exactly after its kind (`customers.csv`, ...). Customers come first, so the
 * other files' rows attach to them, and feature tables last, whatever the order given.
 */

export interface ImportFile {
  kind: ImportKind;
  path: string;
  table?: string;
}

const PREFIX = /^(customers|events|touches|consents):(.+)$/;
const TABLE_PREFIX = /^table:([A-Za-z0-9_]+):(.+)$/;

function fileOf(spec: string, kind: ImportKind | undefined, table: string | undefined): ImportFile {
  if (kind !== undefined)
    return kind === 'table' ? { kind, path: spec, table: table as string } : { kind, path: spec };
  const t = TABLE_PREFIX.exec(spec);
  if (t) return { kind: 'table', table: t[1] as string, path: t[2] as string };
  const p = PREFIX.exec(spec);
  if (p) return { kind: p[1] as ImportKind, path: p[2] as string };
  const named = basename(spec)
    .toLowerCase()
    .replace(/\.csv$/, '');
  const byName = IMPORT_KINDS.find((k) => k !== 'table' && k === named);
  if (byName) return { kind: byName, path: spec };
  throw new CliError(
    EXIT.USAGE,
    `cannot tell what "${spec}" holds: give --kind, or prefix it with customers:, events:, touches:, consents: or table:NAME:`
  );
}

export function importFiles(
  specs: readonly string[],
  o: { kind?: ImportKind; table?: string }
): ImportFile[] {
  if (o.kind === 'table' && specs.length > 1)
    throw new CliError(
      EXIT.USAGE,
      '--kind table imports one file; name several tables as table:NAME:file.csv'
    );
  const files = specs.map((s) => fileOf(s, o.kind, o.table));
  const order = (k: ImportKind) => IMPORT_KINDS.indexOf(k);
  // A stable sort: files of one kind keep the order given.
  return files
    .map((f, i) => ({ f, i }))
    .sort((a, b) => order(a.f.kind) - order(b.f.kind) || a.i - b.i)
    .map((x) => x.f);
}
