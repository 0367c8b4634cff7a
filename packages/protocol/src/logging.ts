import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Structured logs for both servers (docs/operations.md "Logs"): one JSON object a line on stderr
 * (pino), with a level, a time, the service and, for a node, its name. Nothing secret may reach
 * a log; the redaction below is the net under that rule, not the rule itself: any field named
 * like a credential is replaced wherever it sits, so a token that slips into a log detail shows
 * as "[redacted]".
 */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const SECRET_KEYS = [
  'token',
  'authorization',
  'cookie',
  'secret',
  'secretKey',
  'seed',
  'password',
  'privateKey',
  'pepper',
];
/** Credential-named fields at the top level and one or two levels down (e.g. headers.authorization). */
export const LOG_REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

/** FEDMARK_LOG_LEVEL, when it names a level; `info` otherwise. */
export function logLevelFrom(env: Record<string, string | undefined>): LogLevel {
  const v = env['FEDMARK_LOG_LEVEL']?.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(v ?? '') ? (v as LogLevel) : 'info';
}

export function createLogger(opts: {
  service: 'coordinator' | 'node';
  node?: string;
  level?: LogLevel;
  /** Default: stderr, written synchronously so the last lines before an exit are not lost. */
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service, ...(opts.node ? { node: opts.node } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination ?? pino.destination({ dest: 2, sync: true })
  );
}

export type { Logger };
