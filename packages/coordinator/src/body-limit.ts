/**
 * Largest request body, as sent and once inflated (a submission of up to 64 ciphertexts of
 * ~450 KB base64-encoded fits; a gzip body may not inflate past it: nodes/auth.ts).
 */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
