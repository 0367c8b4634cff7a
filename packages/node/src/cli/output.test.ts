import { describe, expect, it } from 'vitest';
import { EXIT, EXIT_CODES_HELP, exitCodeFor, CliError } from './exit-codes.ts';
import { formatTable, toJson } from './output.ts';
import { createProgress } from './progress.ts';
import type { CliIo } from './io.ts';
import { ProtocolError } from '@fedmark/protocol';

describe('CLI output helpers', () => {
  it('toJson writes bigints as decimal strings, one document per call', () => {
    expect(toJson({ v: [1n, -12345678901234567890n], n: 2 })).toBe(
      '{\n  "v": [\n    "1",\n    "-12345678901234567890"\n  ],\n  "n": 2\n}\n'
    );
  });

  it('formatTable pads columns and right-aligns numeric ones', () => {
    expect(
      formatTable(
        ['name', 'n'],
        [
          ['a', 1],
          ['bbb', 22],
        ]
      )
    ).toBe('name   n\n----  --\na      1\nbbb   22\n');
  });

  it('plain progress lines are throttled to one per 2 seconds', () => {
    let t = 0;
    const lines: string[] = [];
    const io: CliIo = { out: () => {}, err: (s) => lines.push(s), stderrIsTTY: false, env: {} };
    const p = createProgress(io, 'import events', {
      unit: 'bytes',
      now: () => t,
      plain: (d, total) => `${d}/${total}`,
    });
    p.update(1, 10);
    t = 1999;
    p.update(2, 10);
    t = 2000;
    p.update(3, 10);
    t = 3000;
    p.update(4, 10);
    t = 4100;
    p.update(5, 10);
    expect(lines).toEqual(['import events: 3/10\n', 'import events: 5/10\n']);
  });
});

describe('exit codes', () => {
  it('map protocol errors into the 10-19 range and everything else to 1', () => {
    expect(exitCodeFor(new ProtocolError('IMPORT_INVALID', 'x'))).toBe(10);
    expect(exitCodeFor(new ProtocolError('BUDGET_EXCEEDED', 'x'))).toBe(11);
    expect(exitCodeFor(new ProtocolError('POLICY_REFUSED', 'x'))).toBe(12);
    expect(exitCodeFor(new ProtocolError('BAD_REQUEST', 'x'))).toBe(14);
    expect(exitCodeFor(new ProtocolError('INTERNAL', 'x'))).toBe(1);
    expect(exitCodeFor(new CliError(EXIT.LEDGER_INVALID, 'x'))).toBe(13);
    expect(exitCodeFor(new Error('x'))).toBe(1);
  });

  it('the help table lists every code once', () => {
    for (const code of Object.values(EXIT))
      expect(EXIT_CODES_HELP).toMatch(new RegExp(`\\n {2}${String(code).padStart(2)}  `));
    expect(new Set(Object.values(EXIT)).size).toBe(Object.values(EXIT).length);
  });
});
