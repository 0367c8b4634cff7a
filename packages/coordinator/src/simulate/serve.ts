import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalFederation } from './federation.ts';

/** A node's API tokens as `node serve` wrote them (`<node-dir>/api-tokens.json`). */
function nodeTokens(dir: string): Record<string, string> {
  try {
    const file = JSON.parse(readFileSync(join(dir, 'api-tokens.json'), 'utf8')) as {
      tokens?: { role: string; token: string }[];
    };
    return Object.fromEntries((file.tokens ?? []).map((t) => [t.role, t.token]));
  } catch {
    return {};
  }
}

/**
 * What `fedmark simulate --serve` prints once the jobs are done: where each web console is and
 * which token logs in as which role. These are this throwaway federation's own tokens (the
 * same ones `coordinator init` and `node serve` print at creation), so printing them is the point.
 */
export function consoleGuide(fed: LocalFederation, actionAt?: string): string {
  const lines = [
    '',
    'The federation keeps running. Web consoles (log in with a token below; Ctrl-C stops everything):',
    `  coordinator  ${fed.coordinatorUrl}/console`,
    ...(fed.coordinatorUrl.startsWith('https:')
      ? [`    self-signed certificate: your browser warns once; its key is ${fed.tlsFingerprint}`]
      : []),
    `    operator token  ${fed.operatorToken}`,
    `    auditor token   ${fed.auditorToken}`,
  ];
  for (const n of fed.nodes) {
    const t = nodeTokens(n.dir);
    lines.push(`  node ${n.name}  ${n.apiUrl ?? '(API address unknown)'}/console`);
    // The demo's next-best-action run is logged at that node (docs/decide.md "Decision log").
    if (n.name === actionAt && n.apiUrl)
      lines.push(`    decisions and the audience of this run: ${n.apiUrl}/console/actions`);
    for (const role of ['admin', 'auditor'])
      if (t[role]) lines.push(`    ${role.padEnd(7)} token  ${t[role]}`);
  }
  lines.push(
    `Audit a node meanwhile: fedmark audit verify --node-dir ${fed.nodes[0]?.dir ?? '<node-dir>'} --coordinator ${fed.coordinatorUrl} --token <auditor token>`,
    ''
  );
  return lines.join('\n');
}

/** Resolves on the first SIGINT or SIGTERM (the caller then stops the federation). */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
