import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { emit, type CliContext } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { openNode } from '../node-context.ts';
import { readJsonFile } from './_query-file.ts';
import { examples } from './_help.ts';

type Mapping = import('../../warehouse/index.ts').WarehouseMapping;
type Check = import('../../warehouse/index.ts').WarehouseCheck;

function checkText(c: Check): string {
  const lines = c.views.map(
    (v) => `  ${v.view.padEnd(22)} ${v.table} (${v.columns} column${v.columns === 1 ? '' : 's'})`
  );
  const warn =
    c.writable.length > 0
      ? `warning: this role can write to ${c.writable.join(', ')}; a read-only role is recommended (docs/warehouse.md "Security")`
      : 'the role has no write access to the mapped tables';
  return `${lines.join('\n')}\n${warn}\n`;
}

/** Connects with the mapping's connection string and checks every mapped table and column. */
async function runCheck(mapping: Mapping, env: NodeJS.ProcessEnv): Promise<Check> {
  const { PgBridge, checkWarehouse, resolveConnectionString } = await import(
    '../../warehouse/index.ts'
  );
  const bridge = new PgBridge(resolveConnectionString(mapping.connection, env), {
    batchRows: mapping.batchRows,
    batchTimeoutMs: Math.min(mapping.batchTimeoutMs, 60_000),
  });
  try {
    return checkWarehouse(bridge, mapping);
  } finally {
    bridge.end();
  }
}

/** `fedmark node warehouse`: point the node at an institution's PostgreSQL (docs/warehouse.md). */
export function registerWarehouse(node: Command, ctx: CliContext): void {
  const wh = node
    .command('warehouse')
    .description(
      "read the institution's PostgreSQL instead of imported data: set, show, check or unset the table mapping"
    );
  const set = wh
    .command('set')
    .description(
      'validate a mapping, check it against the server (every table and column readable), and install it: from then on every query, train round and score reads PostgreSQL'
    )
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption(
      '--mapping <file>',
      'mapping JSON (docs/warehouse.md "Mapping reference" has a full example)'
    )
    .option('--no-check', 'install without connecting (the server is not reachable from here)')
    .option('--json', 'print {mapping, check} as JSON')
    .action(async (o: { dir: string; mapping: string; check: boolean; json?: boolean }) => {
      (await openNode(o.dir)).close(); // a clear error when --dir holds no node
      const { parseWarehouseMapping, saveWarehouseMapping } = await import(
        '../../warehouse/index.ts'
      );
      const raw = readJsonFile(o.mapping);
      let mapping: Mapping;
      try {
        mapping = parseWarehouseMapping(raw, o.mapping);
      } catch (err) {
        throw new CliError(EXIT.INPUT_INVALID, (err as Error).message);
      }
      // A relative connection file is relative to where the command ran, not to the node.
      if ('file' in mapping.connection && !isAbsolute(mapping.connection.file))
        mapping = { ...mapping, connection: { file: resolve(mapping.connection.file) } };
      const check = o.check ? await runCheck(mapping, ctx.io.env) : null;
      saveWarehouseMapping(o.dir, mapping);
      emit(
        ctx,
        o.json,
        { mapping, check },
        () =>
          `${check ? checkText(check) : 'not checked against the server (--no-check)\n'}installed ${o.dir}/warehouse.json: analytics on this node now read PostgreSQL\n`
      );
    });
  examples(
    set,
    'export FEDMARK_WAREHOUSE_URL=postgresql://fedmark_reader@db.internal:5432/crm',
    'fedmark node warehouse set --dir ./node-a --mapping warehouse-mapping.json'
  );
  const show = wh
    .command('show')
    .description(
      'print the installed mapping (it names where the connection string is, never the string)'
    )
    .requiredOption('--dir <path>', 'node directory')
    .option('--json', 'print the mapping as JSON, or null')
    .action(async (o: { dir: string; json?: boolean }) => {
      (await openNode(o.dir)).close();
      const { loadWarehouseMapping } = await import('../../warehouse/index.ts');
      const m = loadWarehouseMapping(o.dir);
      emit(ctx, o.json, m, () =>
        m === null
          ? 'no warehouse: this node reads the data imported into its own database\n'
          : `${JSON.stringify(m, null, 2)}\n`
      );
    });
  examples(show, 'fedmark node warehouse show --dir ./node-a');
  const check = wh
    .command('check')
    .description('connect with the installed mapping and check every mapped table and column')
    .requiredOption('--dir <path>', 'node directory')
    .option('--json', 'print {views, writable} as JSON')
    .action(async (o: { dir: string; json?: boolean }) => {
      (await openNode(o.dir)).close();
      const { loadWarehouseMapping } = await import('../../warehouse/index.ts');
      const m = loadWarehouseMapping(o.dir);
      if (m === null)
        throw new CliError(
          EXIT.NOT_FOUND,
          `no warehouse mapping in ${o.dir} (run "fedmark node warehouse set --dir ${o.dir} --mapping FILE" first)`
        );
      const c = await runCheck(m, ctx.io.env);
      emit(ctx, o.json, c, () => checkText(c));
    });
  examples(check, 'fedmark node warehouse check --dir ./node-a');
  const unset = wh
    .command('unset')
    .description('remove the mapping: the node reads its own imported data again')
    .requiredOption('--dir <path>', 'node directory')
    .action(async (o: { dir: string }) => {
      (await openNode(o.dir)).close();
      const { removeWarehouseMapping } = await import('../../warehouse/index.ts');
      const removed = removeWarehouseMapping(o.dir);
      ctx.io.out(
        removed
          ? 'removed the warehouse mapping: this node reads its own imported data again\n'
          : 'no warehouse mapping was installed; nothing changed\n'
      );
    });
  examples(unset, 'fedmark node warehouse unset --dir ./node-a');
}
