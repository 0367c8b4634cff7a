import { readFileSync } from 'node:fs';

/**
 * The README's tour as a list of shell statements, in order: the fenced `sh` block between
 * `<!-- tour:start -->` and `<!-- tour:end -->`. A statement starts on an unindented line that is
 * not a comment; indented lines, `done`/`fi` and lines after a trailing backslash continue it.
 */
export function tourStatements(readmePath: string): string[] {
  const text = readFileSync(readmePath, 'utf8');
  const start = text.indexOf('<!-- tour:start -->');
  const end = text.indexOf('<!-- tour:end -->');
  if (start < 0 || end < start)
    throw new Error(`${readmePath}: no <!-- tour:start --> ... <!-- tour:end --> block`);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(start, end));
  if (!block) throw new Error(`${readmePath}: the tour markers hold no \`\`\`sh block`);
  const statements: string[] = [];
  let continues = false;
  for (const line of (block[1] as string).split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) {
      continues = false;
      continue;
    }
    const continuation = continues || /^\s/.test(line) || /^(done|fi)\b/.test(line);
    if (continuation && statements.length > 0) statements[statements.length - 1] += `\n${line}`;
    else statements.push(line);
    continues = line.endsWith('\\');
  }
  return statements;
}

/**
 * One bash script that runs the statements in order in one shell (so `export` and `JOB=$(...)`
 * carry over, as for a person typing them), each with its output in `<outDir>/<i>.out` and its
 * exit code appended to `<outDir>/rc`; it stops at the first failure, and on any exit stops the
 * background processes the tour started.
 */
export function tourScript(statements: string[], outDir: string): string {
  const lines = ["trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT"];
  statements.forEach((s, i) => {
    lines.push(`{ ${s}\n} > "${outDir}/${i}.out" 2>&1 < /dev/null`);
    lines.push(`rc=$?; echo "${i} $rc" >> "${outDir}/rc"; [ $rc -eq 0 ] || exit 1`);
  });
  lines.push('wait');
  return `${lines.join('\n')}\n`;
}
