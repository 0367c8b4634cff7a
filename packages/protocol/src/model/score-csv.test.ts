import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.ts';
import { initialModel, withVector } from './model-format.ts';
import { parseCsv, scoreCsvText } from './score-csv.ts';

const model = withVector(
  initialModel({
    name: 'churn',
    label: { column: 'churn', positive: 'Yes' },
    encoding: [
      { type: 'numeric', column: 'tenure', lower: 0, upper: 72, mean: 36, std: 12 },
      { type: 'categorical', column: 'contract', categories: ['Monthly', 'Yearly'] },
    ],
    optimiser: 'gd',
    roundsPlanned: 1,
    epsilonPerNode: 1,
    noise: true,
    nodes: [],
  }),
  [-1, 0.5, 0.75, -0.25, 0]
);
const p = (z: number): number => 1 / (1 + Math.exp(-z));

describe('parseCsv', () => {
  it('handles quotes, escaped quotes, embedded commas and newlines, CRLF and a BOM', () => {
    const rows = parseCsv('\uFEFFa,b\r\n"x, ""y""",2\n"multi\nline",3\n\n');
    expect(rows).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, "y"', '2'] },
      { line: 3, cells: ['multi\nline', '3'] },
    ]);
  });
  it('names the line of an unterminated quote', () => {
    expect(() => parseCsv('a\n"open\n', 'f.csv')).toThrow(
      new ProtocolError('BAD_REQUEST', 'f.csv:2: quoted field is never closed')
    );
  });
});

describe('scoreCsvText', () => {
  it('scores each row by its id column with the model probability', () => {
    const out = scoreCsvText(
      model,
      'customer_id,tenure,contract,extra\nc1,48,Monthly,x\nc2,,Yearly,y\n',
      { source: 's.csv' }
    );
    expect(out.rows).toBe(2);
    // c1: z = -1 + 0.5*(48-36)/12 + 0.75 = 0.25; c2: missing tenure = mean, z = -1 - 0.25.
    expect(out.csv).toBe(`customer_id,score\nc1,${p(0.25)}\nc2,${p(-1.25)}\n`);
  });
  it('numbers rows when the file has no id column', () => {
    expect(scoreCsvText(model, 'tenure,contract\n36,Other\n').csv).toBe(`row,score\n1,${p(-1)}\n`);
  });
  it('refuses a file without a feature column, naming file and column', () => {
    expect(() => scoreCsvText(model, 'customer_id,tenure\nc1,3\n', { source: 's.csv' })).toThrow(
      's.csv:1: no column "contract", which the model "churn" uses (header has: customer_id, tenure)'
    );
  });
  it('refuses a ragged row with its line', () => {
    expect(() =>
      scoreCsvText(model, 'tenure,contract\n1,Monthly\n2\n', { source: 's.csv' })
    ).toThrow('s.csv:3: expected 2 cells as in the header, got 1');
  });
});
