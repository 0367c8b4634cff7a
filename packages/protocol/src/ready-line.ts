import { z } from 'zod';

/**
 * The one line a server prints on stdout once it listens (docs/operations.md "Ready line"), so a
 * supervisor or script can wait for it and read where to connect instead of parsing prose:
 *   {"event":"ready","service":"coordinator","url":"https://127.0.0.1:7700","address":"127.0.0.1","port":7700,...}
 */
export const ReadyLineSchema = z
  .object({
    event: z.literal('ready'),
    service: z.enum(['coordinator', 'node']),
    url: z.string().url(),
    address: z.string(),
    port: z.number().int().min(1).max(65535),
  })
  .passthrough();
export type ReadyLine = z.infer<typeof ReadyLineSchema>;

/** The ready line for `fields`, newline-terminated; extra fields (tlsFingerprint, node) ride along. */
export function readyLine(fields: Omit<ReadyLine, 'event'>): string {
  return `${JSON.stringify({ event: 'ready', ...fields })}\n`;
}

/** The first ready line in a server's output, or undefined before it has printed one. */
export function findReadyLine(output: string): ReadyLine | undefined {
  for (const line of output.split('\n')) {
    if (!line.startsWith('{"event":"ready"')) continue;
    try {
      const parsed = ReadyLineSchema.safeParse(JSON.parse(line));
      if (parsed.success) return parsed.data;
    } catch {
      // a partial line: the rest has not arrived yet
    }
  }
  return undefined;
}
