import { z } from 'zod';
import { bytesToHex, equalBytes, hmacSha256, randomBytes } from '../hashing.ts';

/** A logged-in console user, as read back from a verified session cookie. */
export interface ConsoleSession {
  /** The role the presented API token had at login (e.g. operator, auditor, admin). */
  role: string;
  /** Random session id (hex): keys the CSRF token and the logout list. */
  sid: string;
  /** The synchronizer token every state-changing form must carry (hex HMAC of the sid). */
  csrf: string;
  /** Unix milliseconds after which the cookie is refused. */
  expiresAt: number;
}

export interface SessionCodec {
  /** A fresh session for `role` and the cookie value that carries it. */
  issue(role: string, now?: number): { cookieValue: string; session: ConsoleSession };
  /** The session in a cookie value, or null when absent, forged, expired or logged out. */
  read(cookieValue: string | undefined, now?: number): ConsoleSession | null;
  /** Logs a session out: its cookie is refused from now on, even before it expires. */
  revoke(session: ConsoleSession): void;
}

/** Eight hours: a working day of auditing without re-entering the token. */
export const DEFAULT_SESSION_TTL_MS = 8 * 60 * 60 * 1000;

const PayloadSchema = z.strictObject({
  v: z.literal(1),
  role: z.string().regex(/^[a-z][a-z_-]{0,31}$/),
  sid: z.string().regex(/^[0-9a-f]{32}$/),
  exp: z.number().int().positive(),
});

const MAC_DOMAIN = 'fedmark-console-session-v1\n';
const CSRF_DOMAIN = 'fedmark-console-csrf-v1\n';
const utf8 = new TextEncoder();

/**
 * Stateless signed session cookies: `base64url(payload).base64url(HMAC-SHA256(secret, payload))`.
 * The cookie holds no token and no personal data, only a role, a random id and an expiry, so a
 * stolen cookie never reveals an API token. The secret is drawn per process by default: a
 * restart logs everyone out, which is the safe direction. CSRF tokens are HMACs of the session
 * id under a separate domain (synchronizer-token pattern without server state).
 */
export function createSessionCodec(
  opts: { secret?: Uint8Array; ttlMs?: number } = {}
): SessionCodec {
  const secret = opts.secret ?? randomBytes(32);
  if (secret.length < 32) throw new RangeError('session secret must be at least 32 bytes');
  const ttlMs = opts.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  const revoked = new Map<string, number>();
  const mac = (payload: string) => hmacSha256(secret, MAC_DOMAIN + payload);
  const csrfFor = (sid: string) => bytesToHex(hmacSha256(secret, CSRF_DOMAIN + sid));

  const prune = (now: number) => {
    for (const [sid, exp] of revoked) if (exp <= now) revoked.delete(sid);
  };

  return {
    issue(role, now = Date.now()) {
      const payload = { v: 1 as const, role, sid: bytesToHex(randomBytes(16)), exp: now + ttlMs };
      PayloadSchema.parse(payload);
      const json = JSON.stringify(payload);
      const cookieValue = `${Buffer.from(json).toString('base64url')}.${Buffer.from(mac(json)).toString('base64url')}`;
      return {
        cookieValue,
        session: { role, sid: payload.sid, csrf: csrfFor(payload.sid), expiresAt: payload.exp },
      };
    },
    read(cookieValue, now = Date.now()) {
      if (cookieValue === undefined || cookieValue.length > 512) return null;
      const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(cookieValue);
      if (!m) return null;
      const json = Buffer.from(m[1] as string, 'base64url').toString('utf8');
      if (!equalBytes(new Uint8Array(Buffer.from(m[2] as string, 'base64url')), mac(json)))
        return null;
      let parsed: z.infer<typeof PayloadSchema>;
      try {
        parsed = PayloadSchema.parse(JSON.parse(json));
      } catch {
        return null;
      }
      if (parsed.exp <= now || revoked.has(parsed.sid)) return null;
      return {
        role: parsed.role,
        sid: parsed.sid,
        csrf: csrfFor(parsed.sid),
        expiresAt: parsed.exp,
      };
    },
    revoke(session) {
      prune(Date.now());
      revoked.set(session.sid, session.expiresAt);
    },
  };
}

/** Constant-time comparison of two hex/ASCII tokens (false on different lengths). */
export function equalTokens(a: string, b: string): boolean {
  return equalBytes(utf8.encode(a), utf8.encode(b));
}
