import type { ZodError } from 'zod';

/** One line naming each failing field and why (first 5 issues), for HTTP 400 bodies and the CLI. */
export function zodMessage(err: ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}
