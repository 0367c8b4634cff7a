/**
 * Internal: the import's fast CSV path for the common file: no quotes, LF or CRLF line ends.
 * It gives exactly the records csv-parse gives with the import's options (_csv-records.ts
 * PARSE_OPTIONS: BOM, trim, empty lines skipped, every record as long as the first), and it
 * stops at the first line it cannot be sure of (a quote, a stray carriage return, a record of
 * another length), returning nothing from that line on; the caller then lets csv-parse read the
 * file and skips the records already produced. Why: csv-parse builds every field byte by byte
 * through a resizable buffer, which was the largest cost of a 10M-row import (docs/scale.md
 * "One node on one machine"); splitting decoded text on '\n' and ',' is native string work.
 *
 * csv-parse's rules followed here (csv-parse 6.1, lib/api/index.js): the record delimiter is the
 * first of "\r\n", "\n", "\r" met (so a file is LF or CRLF from its first line on); `trim`
 * removes leading space, tab and form feed byte by byte and trailing whitespace with
 * String.prototype.trimEnd; a line that is empty once leading whitespace is skipped is an empty
 * line, and skipped.
 */

/** Line ends, decided by the first line as csv-parse decides its record delimiter. */
type LineEnd = 'unknown' | 'lf' | 'crlf';

const SPACE = 32;
const TAB = 9;
const FORM_FEED = 12;

export class PlainCsvLines {
  private carry = '';
  private lineEnd: LineEnd = 'unknown';
  private columns = -1;
  /** Records returned so far (header included). */
  produced = 0;
  /** Set once a line needs csv-parse; nothing is returned after it. */
  irregular = false;

  /**
   * Takes the next decoded text of the file and appends the records of its complete lines to
   * `out`. Returns false when it met a line it cannot take (the records before it are in `out`).
   */
  push(text: string, out: string[][]): boolean {
    if (this.irregular) return false;
    const all = this.carry === '' ? text : this.carry + text;
    const last = all.lastIndexOf('\n');
    if (last < 0) {
      this.carry = all;
      return true;
    }
    this.carry = all.slice(last + 1);
    const complete = all.slice(0, last);
    // One search of the whole text instead of two per line: most chunks have no quote, and an
    // LF file no carriage return.
    const quotes = complete.includes('"');
    const returns = this.lineEnd !== 'lf' || complete.includes('\r');
    const lines = complete.split('\n');
    for (const line of lines) if (!this.line(line, true, out, quotes, returns)) return false;
    return true;
  }

  /** At the end of the file: the last line, if it had no line end. */
  end(out: string[][]): boolean {
    if (this.irregular) return false;
    const rest = this.carry;
    this.carry = '';
    return rest === '' || this.line(rest, false, out, true, true);
  }

  /** `quotes`, `returns`: whether the text this line is from may hold a quote, a CR. */
  private line(
    raw: string,
    ended: boolean,
    out: string[][],
    quotes: boolean,
    returns: boolean
  ): boolean {
    let line = raw;
    if (this.lineEnd === 'unknown' && ended)
      this.lineEnd = line.charCodeAt(line.length - 1) === 13 ? 'crlf' : 'lf';
    if (this.lineEnd === 'crlf' && ended) {
      if (line.charCodeAt(line.length - 1) !== 13) return this.stop();
      line = line.slice(0, -1);
    }
    if ((returns && line.includes('\r')) || (quotes && line.includes('"'))) return this.stop();
    if (isBlank(line)) return true;
    const fields = line.split(',');
    if (this.columns < 0) this.columns = fields.length;
    else if (fields.length !== this.columns) return this.stop();
    for (let i = 0; i < fields.length; i++) fields[i] = trimField(fields[i] as string);
    out.push(fields);
    this.produced++;
    return true;
  }

  /** Hands the rest of the file to csv-parse (the caller saw something only it handles). */
  stop(): false {
    this.irregular = true;
    this.carry = '';
    return false;
  }
}

function isLeadingSpace(code: number): boolean {
  return code === SPACE || code === TAB || code === FORM_FEED;
}

/** Nothing but space, tab and form feed: csv-parse skips such a line as empty. */
function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) if (!isLeadingSpace(line.charCodeAt(i))) return false;
  return true;
}

function trimField(field: string): string {
  if (field === '') return field;
  let start = 0;
  while (start < field.length && isLeadingSpace(field.charCodeAt(start))) start++;
  const end = field.charCodeAt(field.length - 1);
  // trimEnd only where the last character can be whitespace (ASCII controls and space, or
  // U+00A0 and above): the common field ends in a letter or digit.
  const s = start === 0 ? field : field.slice(start);
  return end <= SPACE || end >= 0xa0 ? s.trimEnd() : s;
}
