import { createLogger, type LogLevel, type Logger } from '@fedmark/protocol';
import type { AgentLog } from './client.ts';

/**
 * Events that mean something went wrong and someone may have to act: warn. A refusal by this
 * node's own policy is routine (info); a task or poll that failed, a bad receipt, a changed
 * member key or an unreachable coordinator is not.
 */
const WARN_EVENTS = new Set([
  'task_failed',
  'task_malformed',
  'poll_failed',
  'policy_summary_failed',
  'checkpoint_failed',
  'receipt_invalid',
  'member_keys_changed',
  'coordinator_unreachable',
  'coordinator_error',
  'round_expired',
  // The own-model check found this node's own model better than the federated one: its
  // operator may want to keep using its own (docs/models.md §6).
  'own_model_better',
]);

export function agentEventLevel(event: string): Extract<LogLevel, 'info' | 'warn'> {
  return WARN_EVENTS.has(event) ? 'warn' : 'info';
}

/** The agent's log sink over a pino logger: `{level, time, service, node, event, ...detail}`. */
export function pinoAgentLog(logger: Logger): AgentLog {
  return (event, detail) => logger[agentEventLevel(event)]({ event, ...detail });
}

/** The default sink: structured lines on stderr for node `name`, at FEDMARK_LOG_LEVEL (default info). */
export function stderrAgentLog(name: string, level: LogLevel = 'info'): AgentLog {
  return pinoAgentLog(createLogger({ service: 'node', node: name, level }));
}
