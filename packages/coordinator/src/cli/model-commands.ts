import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  clvModelToJson,
  modelFromJson,
  modelToJson,
  scoreCsvText,
  type JobResult,
} from '@fedmark/protocol';
import { CliError, EXIT } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { client, withConn, type ConnOpts } from './job-commands.ts';

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(
      EXIT.FAILURE,
      `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`
    );
  }
}

function writeText(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new CliError(
      EXIT.FAILURE,
      `${path}: cannot write (${(err as NodeJS.ErrnoException).code ?? String(err)})`
    );
  }
}

/** Writes a published clv job's CLV model file (docs/clv.md "The clv job"). */
function exportClvModel(io: CliIo, id: string, res: JobResult, o: { out: string; json?: boolean }) {
  if (res.status !== 'published' || !res.clvModel) {
    const why = res.failure
      ? `failed (${res.failure.code}: ${res.failure.message})`
      : 'still running';
    throw new CliError(
      res.failure ? EXIT.JOB_FAILED : EXIT.CONFLICT,
      `job ${id} is ${why}; a clv job's model exists once its last round is published`
    );
  }
  const m = res.clvModel;
  writeText(o.out, clvModelToJson(m));
  if (o.json) io.out(`${JSON.stringify({ jobId: id, out: o.out, kind: 'clv', model: m })}\n`);
  else
    io.out(
      `wrote ${o.out}: ${m.name}, BG/NBD r ${m.bgnbd.r.toFixed(3)} alpha ${m.bgnbd.alpha.toFixed(3)} a ${m.bgnbd.a.toFixed(3)} b ${m.bgnbd.b.toFixed(3)}, Gamma-Gamma p ${m.gammaGamma.p.toFixed(3)} q ${m.gammaGamma.q.toFixed(3)} v ${m.gammaGamma.v.toFixed(3)}, ${m.fit.nodes.length} nodes, epsilon ${m.fit.epsilonPerNode} per node${m.fit.noise ? '' : ' (NO NOISE: test only)'}; score customers with fedmark node clv-score --model ${o.out}\n`
    );
}

/**
 * `fedmark model export|score` (docs/models.md §7): export a train job's model file (or a clv
 * job's CLV model file) from the coordinator, and score any CSV that has the model's feature
 * columns, locally.
 */
export function register(program: Command, io: CliIo): void {
  const model = program
    .command('model')
    .description(
      'models from train and clv jobs: export the model file, score a CSV with a propensity model'
    );
  model.addHelpText(
    'after',
    '\nExamples:\n  fedmark model export j-0123456789abcdef --out model.json --token $TOKEN\n  fedmark model export j-fedcba9876543210 --out clv-model.json --token $TOKEN   (a clv job)\n  fedmark model score --model model.json --file customers.csv --out scores.csv\n'
  );

  withConn(
    model
      .command('export')
      .description(
        'write the model of a published train job, or the CLV model of a published clv job (self-describing JSON)'
      )
      .argument('<job>', 'job id')
  )
    .requiredOption('--out <file>', 'model file to write')
    .option('--allow-partial', 'export the latest model of a job that is still running or failed')
    .action(async (id: string, o: ConnOpts & { out: string; allowPartial?: boolean }) => {
      const res = (await client(o, io).get(
        `/v1/jobs/${encodeURIComponent(id)}/result`
      )) as JobResult;
      if (res.kind === 'clv') return exportClvModel(io, id, res, o);
      if (res.kind !== 'train')
        throw new CliError(
          EXIT.INPUT_INVALID,
          `job ${id} is a ${res.kind} job; only train and clv jobs have a model`
        );
      if (res.status !== 'published' && !o.allowPartial) {
        const why = res.failure
          ? `failed (${res.failure.code}: ${res.failure.message})`
          : 'still running';
        throw new CliError(
          res.failure ? EXIT.JOB_FAILED : EXIT.CONFLICT,
          `job ${id} is ${why}; --allow-partial exports its latest model`
        );
      }
      if (!res.model)
        throw new CliError(EXIT.CONFLICT, `job ${id} has no published round yet, so no model`);
      const text = modelToJson(res.model);
      writeText(o.out, text);
      const t = res.model.training;
      if (o.json)
        io.out(
          `${JSON.stringify({ jobId: id, out: o.out, roundsDone: t.roundsDone, nodes: t.nodes, history: t.history })}\n`
        );
      else
        io.out(
          `wrote ${o.out}: ${res.model.name}, ${t.roundsDone} of ${t.roundsPlanned} rounds, ${t.nodes.length} nodes, epsilon ${t.epsilonPerNode} per node${t.noise ? '' : ' (NO NOISE: test only)'}\n`
        );
    });

  model
    .command('score')
    .description('score every row of a CSV with a model file (probability of the positive label)')
    .requiredOption('--model <file>', 'model file (from "fedmark model export")')
    .requiredOption('--file <csv>', "CSV with a header naming the model's feature columns")
    .requiredOption('--out <csv>', 'scores to write: <id-column>,score (or row,score)')
    .option('--id-column <name>', 'column identifying each row', 'customer_id')
    .option('--json', 'print a JSON summary')
    .action((o: { model: string; file: string; out: string; idColumn: string; json?: boolean }) => {
      const m = modelFromJson(readText(o.model), o.model);
      const scored = scoreCsvText(m, readText(o.file), { source: o.file, idColumn: o.idColumn });
      writeText(o.out, scored.csv);
      if (o.json) io.out(`${JSON.stringify({ out: o.out, rows: scored.rows })}\n`);
      else io.out(`scored ${scored.rows} rows of ${o.file} into ${o.out}\n`);
    });
}
