import type { z } from 'zod';
import { ProtocolError } from '../errors.ts';
import { formatIssues } from './train-spec.ts';

/**
 * Parses and validates a self-describing JSON file (a model file, a CLV model file). Throws
 * ProtocolError BAD_REQUEST naming the file (`source`), the position for malformed JSON, and
 * the field for a schema violation ("invalid <what>: features.0.upper: ...").
 */
export function parseJsonFile<S extends z.ZodType>(
  schema: S,
  text: string,
  source: string,
  what: string
): z.output<S> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `${source}: not valid JSON (${(err as Error).message})`,
      err
    );
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success)
    throw new ProtocolError(
      'BAD_REQUEST',
      `${source}: invalid ${what}: ${formatIssues(parsed.error.issues)}`,
      parsed.error
    );
  return parsed.data;
}
