import type { Command } from 'commander';
import { emit, type CliContext } from '../context.ts';
import { dateOption, intOption } from '../options.ts';
import { createProgress } from '../progress.ts';
import { PROFILE_NAMES, type ProfileName } from '../../synth/profiles.ts';
import { DEFAULT_END, DEFAULT_START, generateSynthetic } from '../../synth/generate.ts';
import { examples } from './_help.ts';
import { InvalidArgumentError } from 'commander';

interface SynthOpts {
  dir: string;
  profile: ProfileName;
  seed: string;
  customers?: number;
  people?: number;
  start: string;
  end: string;
  json?: boolean;
}

function profileOption(value: string): ProfileName {
  if (!(PROFILE_NAMES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${PROFILE_NAMES.join(', ')}, got "${value}"`);
  return value as ProfileName;
}

export function registerSynth(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('synth')
    .description(
      'write seeded synthetic customers.csv, events.csv, touches.csv, consents.csv and the feature table churn.csv (same seed, same bytes)'
    )
    .requiredOption('--dir <path>', 'output directory for the five CSV files (created if missing)')
    .requiredOption(
      '--profile <profile>',
      `kind of institution: ${PROFILE_NAMES.join('|')}`,
      profileOption
    )
    .option('--seed <seed>', 'any text; the same seed gives byte-identical files', '1')
    .option(
      '--customers <n>',
      'number of customers (default per profile: retail 20000, bank 8000, telecom 12000)',
      intOption(1, 9_999_999)
    )
    .option(
      '--people <n>',
      'size of the e-mail population the customers come from (default 50000, at least --customers): nodes generated with the same value share customers by e-mail, for overlap jobs',
      intOption(1, 99_999_999)
    )
    .option(
      '--start <date>',
      'first day of the simulated window, YYYY-MM-DD',
      dateOption,
      DEFAULT_START
    )
    .option('--end <date>', 'last day of the simulated window, YYYY-MM-DD', dateOption, DEFAULT_END)
    .option('--json', 'print the report (files and row counts) as JSON')
    .action(async (o: SynthOpts) => {
      const progress = createProgress(ctx.io, 'synth', { unit: 'customers' });
      const report = await generateSynthetic({
        dir: o.dir,
        profile: o.profile,
        seed: o.seed,
        ...(o.customers === undefined ? {} : { customers: o.customers }),
        ...(o.people === undefined ? {} : { people: o.people }),
        start: o.start,
        end: o.end,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.stop();
      const nextCommands = [
        ...(['customers', 'events', 'touches', 'consents'] as const).map(
          (k) => `fedmark node import --dir <node-dir> --kind ${k} ${report.files[k]}`
        ),
        `fedmark node import --dir <node-dir> --kind table --table churn ${report.files.churn}`,
      ];
      emit(ctx, o.json, { ...report, nextCommands }, () =>
        [
          `Wrote ${o.profile} data for seed "${o.seed}" (${report.start} .. ${report.end}) to ${o.dir}:`,
          `  customers.csv  ${report.rows.customers} rows (e-mail addresses from a population of ${report.people})`,
          `  events.csv     ${report.rows.events} rows (${report.purchases} purchases)`,
          `  touches.csv    ${report.rows.touches} rows`,
          `  consents.csv   ${report.rows.consents} rows`,
          `  churn.csv      ${report.rows.churn} rows (feature table for fedmark job template train)`,
          'Import them into a node (customers first):',
          ...nextCommands.map((c) => `  ${c}`),
          '',
        ].join('\n')
      );
    });
  examples(
    cmd,
    'fedmark node synth --dir ./data-a --profile retail --seed 42 --customers 5000',
    'fedmark node synth --dir ./data-b --profile bank --seed 42 --start 2025-01-01 --end 2025-12-31'
  );
}
