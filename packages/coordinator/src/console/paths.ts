import type { NavItem } from '@fedmark/protocol/console';
import type { TokenRole } from '../nodes/auth.ts';

/** Where the coordinator mounts its console, and the session cookie's name (distinct from the node console's). */
export const CONSOLE_BASE = '/console';
export const CONSOLE_COOKIE = 'fedmark_coordinator_session';

const seg = (s: string) => encodeURIComponent(s);

/** Every console URL, in one place, so pages link to each other without spelling paths. */
export const PATHS = {
  login: `${CONSOLE_BASE}/login`,
  nodes: `${CONSOLE_BASE}/nodes`,
  jobs: `${CONSOLE_BASE}/jobs`,
  newJob: `${CONSOLE_BASE}/jobs/new`,
  results: `${CONSOLE_BASE}/results`,
  transparency: `${CONSOLE_BASE}/transparency`,
  job: (id: string) => `${CONSOLE_BASE}/jobs/${seg(id)}`,
  result: (id: string) => `${CONSOLE_BASE}/jobs/${seg(id)}/result`,
  nodeCheckpoints: (name: string) => `${CONSOLE_BASE}/transparency/nodes/${seg(name)}`,
} as const;

/** The operator sees everything; the auditor only the transparency log (its API scope). */
export function navFor(role: TokenRole): NavItem[] {
  const transparency = { href: PATHS.transparency, label: 'Transparency' };
  if (role === 'auditor') return [transparency];
  return [
    { href: PATHS.nodes, label: 'Nodes' },
    { href: PATHS.jobs, label: 'Jobs' },
    { href: PATHS.newJob, label: 'New job' },
    { href: PATHS.results, label: 'Results' },
    transparency,
  ];
}

export function homeFor(role: TokenRole): string {
  return role === 'auditor' ? PATHS.transparency : PATHS.jobs;
}
