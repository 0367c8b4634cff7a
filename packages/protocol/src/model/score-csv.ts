import { ProtocolError } from '../errors.ts';
import { scoreRow, type Model } from './model-format.ts';

/**
 * Scoring a CSV file with a model file (`fedmark model score`): any CSV with a header naming the
 * model's feature columns. Pure text in, text out, so the coordinator CLI needs no CSV library.
 */

/**
 * RFC 4180 CSV: quoted fields ("" escapes a quote, commas and newlines allowed inside quotes),
 * CRLF or LF line ends, an optional UTF-8 BOM. Returns rows of cells with the 1-based line
 * each row starts on; throws BAD_REQUEST naming `source` and the line of an unterminated quote.
 */
export function parseCsv(text: string, source = 'CSV'): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let cells: string[] = [];
  let cell = '';
  let rowLine = 1;
  let quoted = false;
  let quoteLine = 0;
  const endRow = (): void => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '')) rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
  };
  for (; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell === '') {
      quoted = true;
      quoteLine = line;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else cell += c;
  }
  if (quoted)
    throw new ProtocolError('BAD_REQUEST', `${source}:${quoteLine}: quoted field is never closed`);
  if (cell !== '' || cells.length > 0) endRow();
  return rows;
}

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Scores every data row of `csvText`: output CSV `<idColumn>,score` (or `row,score` with the
 * 1-based data row number when the file has no `idColumn`), score = probability of the model's
 * positive label. Refuses a file missing a feature column, naming the file and the column.
 */
export function scoreCsvText(
  model: Model,
  csvText: string,
  opts: { source?: string; idColumn?: string } = {}
): { csv: string; rows: number } {
  const source = opts.source ?? 'CSV';
  const idColumn = opts.idColumn ?? 'customer_id';
  const [head, ...data] = parseCsv(csvText, source);
  if (!head)
    throw new ProtocolError('BAD_REQUEST', `${source}: the file is empty (expected a header line)`);
  const columns = head.cells;
  for (const f of model.encoding) {
    if (!columns.includes(f.column)) {
      throw new ProtocolError(
        'BAD_REQUEST',
        `${source}:1: no column "${f.column}", which the model "${model.name}" uses (header has: ${columns.slice(0, 20).join(', ')})`
      );
    }
  }
  const idAt = columns.indexOf(idColumn);
  const out = [`${idAt >= 0 ? csvCell(idColumn) : 'row'},score`];
  data.forEach((r, n) => {
    if (r.cells.length !== columns.length) {
      throw new ProtocolError(
        'BAD_REQUEST',
        `${source}:${r.line}: expected ${columns.length} cells as in the header, got ${r.cells.length}`
      );
    }
    const row = Object.fromEntries(columns.map((c, j) => [c, r.cells[j] as string]));
    const id = idAt >= 0 ? (r.cells[idAt] as string) : String(n + 1);
    out.push(`${csvCell(id)},${scoreRow(model, row)}`);
  });
  return { csv: `${out.join('\n')}\n`, rows: data.length };
}
