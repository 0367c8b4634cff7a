import { InvalidArgumentError } from 'commander';
import { PURPOSES, TlsFingerprintSchema, type Purpose } from '@fedmark/protocol';

/** commander argument parsers: a bad value becomes a usage error (exit 2) naming the option. */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value))
      throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
    const n = Number(value);
    if (n < min || n > max)
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}, got ${n}`);
    return n;
  };
}

export function epsilonOption(value: string): number {
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !(n > 0) || n > 100)
    throw new InvalidArgumentError(`expected a positive number up to 100, got "${value}"`);
  return n;
}

export function purposeOption(value: string): Purpose {
  if (!(PURPOSES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${PURPOSES.join(', ')}, got "${value}"`);
  return value as Purpose;
}

export function dateOption(value: string): string {
  const ok =
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    new Date(`${value}T00:00:00Z`).toISOString().startsWith(value);
  if (!ok) throw new InvalidArgumentError(`expected a date as YYYY-MM-DD, got "${value}"`);
  return value;
}

/** `--tls-fingerprint sha256:<64 hex>`: the coordinator's TLS key pin. */
export function tlsFingerprintOption(value: string): string {
  const checked = TlsFingerprintSchema.safeParse(value.trim().toLowerCase());
  if (!checked.success)
    throw new InvalidArgumentError(
      `expected sha256: and 64 hex digits (printed by "fedmark coordinator keys"), got "${value}"`
    );
  return checked.data;
}

export function urlOption(value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new InvalidArgumentError(
      `expected a URL such as https://coordinator.example:7900, got "${value}"`
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new InvalidArgumentError(`expected an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

/** Repeatable `--lawful-basis purpose=basis`; collected into a record. */
export function lawfulBasisOption(
  value: string,
  previous: Record<string, string> = {}
): Record<string, string> {
  const m = /^([a-z_]+)=([A-Za-z0-9_.:-]{1,64})$/.exec(value);
  if (!m)
    throw new InvalidArgumentError(
      `expected purpose=basis (e.g. analytics=contract), got "${value}"`
    );
  const purpose = purposeOption(m[1] as string);
  if (previous[purpose] !== undefined)
    throw new InvalidArgumentError(`purpose ${purpose} given twice`);
  return { ...previous, [purpose]: m[2] as string };
}
