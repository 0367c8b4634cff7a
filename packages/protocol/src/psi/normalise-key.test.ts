import { describe, expect, it } from 'vitest';
import {
  MATCHING_KEY_KINDS,
  MATCHING_KEY_REFUSALS,
  type MatchingKeyKind,
  type MatchingKeyRefusal,
  MatchingKeyRefused,
  normaliseMatchingKey,
  type PhoneNormaliseOptions,
} from './normalise-key.ts';

type Accept = [input: string, output: string];
type Refuse = [input: unknown, reason: MatchingKeyRefusal];

function refusalOf(kind: MatchingKeyKind, input: unknown, options?: PhoneNormaliseOptions) {
  try {
    normaliseMatchingKey(kind, input, options);
  } catch (err) {
    expect(err).toBeInstanceOf(MatchingKeyRefused);
    expect(err).toBeInstanceOf(RangeError);
    return err as MatchingKeyRefused;
  }
  throw new Error(`expected ${kind} to refuse ${JSON.stringify(input)}`);
}

describe('email', () => {
  const ACCEPT: Accept[] = [
    ['alice@example.com', 'alice@example.com'],
    ['  Alice@Example.COM \n', 'alice@example.com'],
    ['A.B+promo@Gmail.com', 'a.b+promo@gmail.com'], // no provider rules: dots and +tags stay
    ['jose\u0301@example.es', 'jos\u00e9@example.es'], // NFC composes e + combining acute
    ['JOS\u00c9@EXAMPLE.ES', 'jos\u00e9@example.es'],
    ['user@b\u00fccher.example', 'user@b\u00fccher.example'], // no IDNA conversion
  ];
  it.each(ACCEPT)('%j -> %j', (input, output) => {
    expect(normaliseMatchingKey('email', input)).toBe(output);
  });

  const REFUSE: Refuse[] = [
    ['', 'empty'],
    ['   ', 'empty'],
    ['alice example.com', 'whitespace'],
    ['alice@exa mple.com', 'whitespace'],
    ['alice\u00a0@example.com', 'whitespace'], // NBSP is whitespace
    ['alice\u200b@example.com', 'control_character'], // zero-width space (Cf)
    ['alice\u0000@example.com', 'control_character'],
    ['alice.example.com', 'at_sign_count'],
    ['a@b@example.com', 'at_sign_count'],
    ['@example.com', 'empty_part'],
    ['alice@', 'empty_part'],
    [`${'a'.repeat(243)}@example.com`, 'too_long'], // 255 characters
    [42, 'not_a_string'],
    [null, 'not_a_string'],
  ];
  it.each(REFUSE)('refuses %j (%s)', (input, reason) => {
    const err = refusalOf('email', input);
    expect(err.reason).toBe(reason);
    expect(err.kind).toBe('email');
    expect(err.message).toMatch(/^"email" refused: /);
  });

  it('accepts exactly 254 characters', () => {
    const s = `${'a'.repeat(242)}@example.com`;
    expect(s.length).toBe(254);
    expect(normaliseMatchingKey('email', s)).toBe(s);
  });
});

describe('phone', () => {
  const UK: PhoneNormaliseOptions = { defaultCountryCode: '44', trunkPrefix: '0' };
  const IT: PhoneNormaliseOptions = { defaultCountryCode: '39' }; // Italy keeps the 0
  const ACCEPT: [string, PhoneNormaliseOptions, string][] = [
    ['+44 20 7946 0958', {}, '+442079460958'],
    ['0044 (20) 7946-0958', {}, '+442079460958'],
    ['+1.415.555.2671', {}, '+14155552671'],
    [' +49 (0)30-1234567 ', {}, '+490301234567'], // (0) is kept: we do not guess trunk rules
    ['020 7946 0958', UK, '+442079460958'],
    ['06 1234 5678', IT, '+390612345678'],
    ['12345678', { defaultCountryCode: '1' }, '+112345678'],
    ['0 1234 5678', { defaultCountryCode: '33', trunkPrefix: '0' }, '+3312345678'],
  ];
  it.each(ACCEPT)('%j with %j -> %j', (input, options, output) => {
    expect(normaliseMatchingKey('phone', input, options)).toBe(output);
  });

  it('accepts the E.164 bounds: 8 and 15 digits', () => {
    expect(normaliseMatchingKey('phone', '+12345678')).toBe('+12345678');
    expect(normaliseMatchingKey('phone', '+123456789012345')).toBe('+123456789012345');
  });

  const REFUSE: [unknown, PhoneNormaliseOptions, MatchingKeyRefusal][] = [
    ['', {}, 'empty'],
    [' - ( ) . ', {}, 'empty'],
    ['020 7946 0958', {}, 'country_code_missing'],
    ['020 7946 0958', { defaultCountryCode: '044' }, 'country_code_invalid'],
    ['020 7946 0958', { defaultCountryCode: '4444' }, 'country_code_invalid'],
    ['+0 20 7946 0958', {}, 'country_code_invalid'],
    ['+1234567', {}, 'digit_count'], // 7 digits
    ['+1234567890123456', {}, 'digit_count'], // 16 digits
    ['+44 20 7946 095x', {}, 'invalid_character'],
    ['+44 20 7946 0958 ext 12', {}, 'invalid_character'],
    ['+44/20/7946/0958', {}, 'invalid_character'],
    ['+44 20 +7946 0958', {}, 'plus_not_leading'],
    ['+44\u200b2079460958', {}, 'control_character'],
    [4420794609, {}, 'not_a_string'],
  ];
  it.each(REFUSE)('refuses %j with %j (%s)', (input, options, reason) => {
    const err = refusalOf('phone', input, options);
    expect(err.reason).toBe(reason);
    expect(err.message).toBe(`"phone" refused: ${MATCHING_KEY_REFUSALS[reason]}`);
  });
});

describe('partner_id', () => {
  const ACCEPT: Accept[] = [
    ['  LOY-000123 ', 'LOY-000123'],
    ['Card 42 b', 'Card 42 b'], // inner spaces and case are significant
    ['\u00e9'.repeat(128), '\u00e9'.repeat(128)], // 128 code points, 256 UTF-8 bytes
  ];
  it.each(ACCEPT)('%j -> %j', (input, output) => {
    expect(normaliseMatchingKey('partner_id', input)).toBe(output);
  });

  const REFUSE: Refuse[] = [
    ['', 'empty'],
    ['\t \n', 'empty'],
    ['a'.repeat(129), 'too_long'],
    ['LOY\u0007123', 'control_character'],
    ['LOY\u202e321', 'control_character'], // right-to-left override (Cf)
    [{ id: 'x' }, 'not_a_string'],
  ];
  it.each(REFUSE)('refuses %j (%s)', (input, reason) => {
    expect(refusalOf('partner_id', input).reason).toBe(reason);
  });
});

describe('national_id_hash', () => {
  const HASH = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);
  it('is taken as given', () => {
    expect(normaliseMatchingKey('national_id_hash', HASH)).toBe(HASH);
  });

  const REFUSE: Refuse[] = [
    [HASH.toUpperCase(), 'not_lower_hex'],
    [` ${HASH}`, 'not_lower_hex'], // no trimming
    [HASH.slice(1), 'not_lower_hex'],
    [`${HASH}0`, 'not_lower_hex'],
    [`${HASH.slice(1)}g`, 'not_lower_hex'],
    [7, 'not_a_string'],
  ];
  it.each(REFUSE)('refuses %j (%s)', (input, reason) => {
    expect(refusalOf('national_id_hash', input).reason).toBe(reason);
  });
});

describe('refusals', () => {
  it('never echo the refused value', () => {
    const secret = 'victim.name+private@example.com ';
    for (const kind of MATCHING_KEY_KINDS) {
      const err = refusalOf(kind, `${secret}\u0000`);
      expect(err.message).not.toContain('victim');
    }
  });
});
