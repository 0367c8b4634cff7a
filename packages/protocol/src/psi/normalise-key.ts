/**
 * Matching-key normalisation for shared-customer matching (docs/psi.md "Matching keys").
 *
 * Two partners match a customer only if both turn the same person's identifier into the same
 * string, so these rules are part of the protocol: changing one changes every later match and
 * must bump the PSI domain tag version (hash-to-group.ts). A refusal never echoes the value it
 * refused, because refusals end up in logs and the value is personal data.
 */

/** The matching-key kinds a node may declare. Closed: a new kind is a protocol change. */
export const MATCHING_KEY_KINDS = ['email', 'phone', 'partner_id', 'national_id_hash'] as const;
export type MatchingKeyKind = (typeof MATCHING_KEY_KINDS)[number];

/** Why a value was refused, as a closed set so a node can count refusals by reason. */
export const MATCHING_KEY_REFUSALS = {
  not_a_string: 'the value is not a string',
  empty: 'the value is empty after trimming',
  too_long: 'the value is longer than the kind allows',
  whitespace: 'the value contains whitespace inside it',
  control_character: 'the value contains a control, format or unassigned character',
  at_sign_count: 'an e-mail address must contain exactly one @',
  empty_part: 'an e-mail address needs a non-empty local part and domain',
  invalid_character: 'the value contains a character the kind does not allow',
  plus_not_leading: 'a + may only start a phone number',
  country_code_missing: 'a national phone number needs a declared default country calling code',
  country_code_invalid: 'a country calling code is 1-3 digits and does not start with 0',
  digit_count: 'an E.164 number has 8-15 digits after the +',
  not_lower_hex: 'a national id hash must be exactly 64 lower-case hex characters',
} as const;
export type MatchingKeyRefusal = keyof typeof MATCHING_KEY_REFUSALS;

/** Thrown when a value cannot become a matching key. `reason` is machine-readable. */
export class MatchingKeyRefused extends RangeError {
  readonly kind: MatchingKeyKind;
  readonly reason: MatchingKeyRefusal;
  constructor(kind: MatchingKeyKind, reason: MatchingKeyRefusal) {
    super(`"${kind}" refused: ${MATCHING_KEY_REFUSALS[reason]}`);
    this.name = 'MatchingKeyRefused';
    this.kind = kind;
    this.reason = reason;
  }
}

/** Options for phone numbers written without an international prefix. */
export type PhoneNormaliseOptions = {
  /** Country calling code (ITU-T E.164 §6.2.1: 1-3 digits) assumed for national numbers. */
  defaultCountryCode?: string;
  /**
   * National trunk prefix to drop before adding the country code, e.g. '0' in the UK or
   * Germany. Not defaulted: Italy keeps its leading 0 after +39, so guessing would be wrong.
   */
  trunkPrefix?: string;
};

// \p{C} covers Cc (controls), Cf (format, e.g. zero-width joiners and bidi overrides that make
// two identifiers look alike), Cs, Co and Cn. None belongs in an identifier.
const CONTROL = /\p{C}/u;
const WHITESPACE = /\s/u;
// RFC 5321 §4.5.3.1.3: a path is at most 256 octets including the angle brackets, so an
// address is at most 254. We count code points, which is never more than octets.
const EMAIL_MAX = 254;
const PARTNER_ID_MAX = 128;
// ITU-T E.164 §6.1: at most 15 digits including the country code. The floor of 8 is ours:
// shorter "numbers" are short codes or typos and would match unrelated customers.
const E164_MIN_DIGITS = 8;
const E164_MAX_DIGITS = 15;
// Separators people write inside phone numbers; anything else non-digit is refused.
const PHONE_SEPARATORS = /[\s\-.()]/gu;
const DIGITS = /^[0-9]+$/;
const COUNTRY_CODE = /^[1-9][0-9]{0,2}$/;
const LOWER_HEX_64 = /^[0-9a-f]{64}$/;

function asString(kind: MatchingKeyKind, value: unknown): string {
  if (typeof value !== 'string') throw new MatchingKeyRefused(kind, 'not_a_string');
  return value;
}

/**
 * E-mail: trim, lower-case the whole address, Unicode NFC; exactly one @, no inner whitespace
 * or control characters, non-empty local part and domain, at most 254 characters.
 *
 * Lower-casing the local part deviates from RFC 5321 §2.4 (which lets it be case-sensitive) on
 * purpose: partners store what customers typed, and case-distinct mailboxes are vanishingly rare
 * next to case-different spellings of one mailbox. NFC (UAX #15) makes composed and decomposed
 * accents equal. No provider-specific rules are applied (dropping dots or +tags for gmail.com):
 * they are not standard, both partners would have to apply the same list, and on other providers
 * they merge different people. Internationalised domains are not converted to or from their
 * xn-- form, so `bücher.example` and `xn--bcher-kva.example` do not match.
 */
export function normaliseEmail(value: unknown): string {
  const s = asString('email', value).trim().toLowerCase().normalize('NFC');
  if (s.length === 0) throw new MatchingKeyRefused('email', 'empty');
  if (WHITESPACE.test(s)) throw new MatchingKeyRefused('email', 'whitespace');
  if (CONTROL.test(s)) throw new MatchingKeyRefused('email', 'control_character');
  const parts = s.split('@');
  if (parts.length !== 2) throw new MatchingKeyRefused('email', 'at_sign_count');
  if (parts[0] === '' || parts[1] === '') throw new MatchingKeyRefused('email', 'empty_part');
  if ([...s].length > EMAIL_MAX) throw new MatchingKeyRefused('email', 'too_long');
  return s;
}

/**
 * Phone: to E.164 (`+` then 8-15 digits). Spaces, dashes, dots and parentheses are removed; a
 * leading `00` (the ITU-recommended international prefix) becomes `+`; a number with neither
 * is national and takes `options.defaultCountryCode`, after dropping `options.trunkPrefix` if
 * declared. No carrier or numbering-plan validation: both partners only need the same string.
 */
export function normalisePhone(value: unknown, options: PhoneNormaliseOptions = {}): string {
  const raw = asString('phone', value).trim();
  if (raw.length === 0) throw new MatchingKeyRefused('phone', 'empty');
  let s = raw.replace(PHONE_SEPARATORS, '');
  if (s.length === 0) throw new MatchingKeyRefused('phone', 'empty');
  if (CONTROL.test(s)) throw new MatchingKeyRefused('phone', 'control_character');
  if (s.lastIndexOf('+') > 0) throw new MatchingKeyRefused('phone', 'plus_not_leading');
  let digits: string;
  if (s.startsWith('+')) {
    digits = s.slice(1);
  } else if (s.startsWith('00')) {
    digits = s.slice(2);
  } else {
    const cc = options.defaultCountryCode;
    if (cc === undefined) throw new MatchingKeyRefused('phone', 'country_code_missing');
    if (!COUNTRY_CODE.test(cc)) throw new MatchingKeyRefused('phone', 'country_code_invalid');
    const trunk = options.trunkPrefix;
    if (trunk !== undefined && trunk !== '' && s.startsWith(trunk)) s = s.slice(trunk.length);
    digits = cc + s;
  }
  if (!DIGITS.test(digits)) throw new MatchingKeyRefused('phone', 'invalid_character');
  // E.164 §6.2.1: country codes never start with 0, so +0... is a malformed number.
  if (digits.startsWith('0')) throw new MatchingKeyRefused('phone', 'country_code_invalid');
  if (digits.length < E164_MIN_DIGITS || digits.length > E164_MAX_DIGITS) {
    throw new MatchingKeyRefused('phone', 'digit_count');
  }
  return `+${digits}`;
}

/**
 * Partner id: an identifier both partners already share (a loyalty or contract number). Trimmed,
 * otherwise kept exactly (case and inner spaces are significant: it is opaque to us); printable,
 * 1-128 code points.
 */
export function normalisePartnerId(value: unknown): string {
  const s = asString('partner_id', value).trim();
  if (s.length === 0) throw new MatchingKeyRefused('partner_id', 'empty');
  if (CONTROL.test(s)) throw new MatchingKeyRefused('partner_id', 'control_character');
  if ([...s].length > PARTNER_ID_MAX) throw new MatchingKeyRefused('partner_id', 'too_long');
  return s;
}

/**
 * National id hash: a hash the partners computed beforehand with a procedure they agreed on
 * (fedmark never sees the national id). Taken as given: exactly 64 lower-case hex characters,
 * no trimming or case folding, so two spellings of one hash cannot both enter a set.
 */
export function normaliseNationalIdHash(value: unknown): string {
  const s = asString('national_id_hash', value);
  if (!LOWER_HEX_64.test(s)) throw new MatchingKeyRefused('national_id_hash', 'not_lower_hex');
  return s;
}

/** Normalises `value` as a matching key of `kind`; throws MatchingKeyRefused with the reason. */
export function normaliseMatchingKey(
  kind: MatchingKeyKind,
  value: unknown,
  options: PhoneNormaliseOptions = {}
): string {
  switch (kind) {
    case 'email':
      return normaliseEmail(value);
    case 'phone':
      return normalisePhone(value, options);
    case 'partner_id':
      return normalisePartnerId(value);
    case 'national_id_hash':
      return normaliseNationalIdHash(value);
  }
}
