/** Internal test helper: catch the ProtocolError a call must throw, to assert its code and message. */
import { ProtocolError } from '@fedmark/protocol';

/**
 * Runs `fn` and returns the ProtocolError it throws. Anything else it throws is rethrown, and
 * returning normally is an error, so a test built on it fails unless the refusal happened.
 * @example expect(protocolErrorOf(() => loadPolicy(dir)).code).toBe('NOT_FOUND');
 */
export function protocolErrorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}
