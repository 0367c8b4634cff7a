/**
 * Internal test helper: an AgentContext for tests that only send ledger checkpoints. Its release
 * and source throw, so a test that strays into a job round fails loudly instead of releasing.
 */
import type { AgentContext } from '../federation/context.ts';
import { loadPolicy } from '../policy/index.ts';

/** The parts a checkpoint needs; `log` defaults to silent and `now` to Date.now. */
export type CheckpointContextParts = Pick<AgentContext, 'dir' | 'identity' | 'db' | 'client'> &
  Partial<Pick<AgentContext, 'log' | 'now' | 'coordinatorKey'>>;

/**
 * @example const ctx = checkpointOnlyContext({ dir, identity, db, client, coordinatorKey });
 * expect((await sendCheckpointIfDue(ctx))?.receipt?.logIndex).toBe(0);
 */
export function checkpointOnlyContext(parts: CheckpointContextParts): AgentContext {
  const {
    dir,
    identity,
    db,
    client,
    log = () => {},
    now = () => Date.now(),
    coordinatorKey,
  } = parts;
  return {
    dir,
    identity,
    db,
    client,
    log,
    release: () => {
      throw new Error('checkpoint-only test context: release() must not run');
    },
    policy: () => loadPolicy(dir),
    source: () => {
      throw new Error('checkpoint-only test context: source() must not run');
    },
    now,
    ...(coordinatorKey ? { coordinatorKey } : {}),
  };
}
