import cliProgress from 'cli-progress';
import type { CliIo } from './io.ts';

export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

const PLAIN_EVERY_MS = 2000;

/**
 * Progress on stderr: a redrawn bar when stderr is a terminal, otherwise one plain line at most
 * every two seconds (logs and CI stay readable). Never writes to stdout, so --json stays clean.
 */
export function createProgress(
  io: CliIo,
  label: string,
  opts: {
    unit: string;
    now?: () => number;
    plain?: (done: number, total: number | undefined) => string;
  }
): Progress {
  const { unit } = opts;
  const now = opts.now ?? Date.now;
  if (io.stderrIsTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration_formatted}`,
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total ?? Math.max(done, 1), done);
          started = true;
        } else {
          if (total !== undefined) bar.setTotal(total);
          bar.update(done);
        }
      },
      stop: () => started && bar.stop(),
    };
  }
  let last = now();
  return {
    update(done, total) {
      const t = now();
      if (t - last < PLAIN_EVERY_MS) return;
      last = t;
      io.err(
        `${label}: ${opts.plain ? opts.plain(done, total) : `${done}${total === undefined ? '' : `/${total}`} ${unit}`}\n`
      );
    },
    stop() {},
  };
}
