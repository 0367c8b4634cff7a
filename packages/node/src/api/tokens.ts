import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { bytesToHex, equalBytes, randomBytes, sha256 } from '@fedmark/protocol';

/**
 * Role-scoped bearer tokens of the node's local API (docs/node-api.md "Tokens and roles"): `admin`
 * may do everything, `auditor` only reads (health, ledger, verification, budget, policy). Stored in
 * `<dir>/api-tokens.json`, mode 0600 like the identity file.
 */
export const API_ROLES = ['admin', 'auditor'] as const;
export type ApiRole = (typeof API_ROLES)[number];
export const API_TOKENS_FILE = 'api-tokens.json';

export interface ApiToken {
  role: ApiRole;
  token: string;
}

const TokensFileSchema = z.object({
  version: z.literal(1),
  tokens: z
    .array(
      z.object({
        role: z.enum(API_ROLES),
        token: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 hex characters'),
      })
    )
    .min(1),
});

/** 256-bit tokens from the platform CSPRNG (noble randomBytes = crypto.getRandomValues). */
export function generateApiTokens(): ApiToken[] {
  return API_ROLES.map((role) => ({ role, token: bytesToHex(randomBytes(32)) }));
}

/**
 * Loads `<dir>/api-tokens.json`, creating it (0600, exclusive create) with fresh admin and auditor
 * tokens when absent. `created` tells the caller to show the tokens once.
 */
export function loadOrCreateApiTokens(dir: string): {
  tokens: ApiToken[];
  created: boolean;
  file: string;
} {
  const file = join(dir, API_TOKENS_FILE);
  if (!existsSync(file)) {
    const tokens = generateApiTokens();
    writeFileSync(file, `${JSON.stringify({ version: 1, tokens }, null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    chmodSync(file, 0o600);
    return { tokens, created: true, file };
  }
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
    throw new Error(
      `${file}: permissions are too open; the file holds API tokens (run: chmod 600 ${file})`
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`${file}: not valid JSON`);
  }
  const parsed = TokensFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${file}: field "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`
    );
  }
  return { tokens: parsed.data.tokens, created: false, file };
}

const utf8 = new TextEncoder();

/**
 * The role of a presented token, or null. Compares SHA-256 digests with a constant-time loop and
 * checks every stored token (no early exit), so neither the token's length nor how many leading
 * bytes matched, nor which entry matched, shows in the timing.
 */
export function roleForToken(tokens: readonly ApiToken[], presented: string): ApiRole | null {
  const digest = sha256(utf8.encode(presented));
  let role: ApiRole | null = null;
  for (const t of tokens) {
    if (equalBytes(sha256(utf8.encode(t.token)), digest) && role === null) role = t.role;
  }
  return role;
}
