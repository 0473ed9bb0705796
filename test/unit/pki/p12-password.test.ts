import { checkP12Password, generateP12Password, PkiError } from '../../../shared/pki/index.js';

describe('generateP12Password', () => {
  it('makes 24 URL/shell-safe characters (144 random bits) that pass the policy, never twice the same', () => {
    // act
    const passwords = Array.from({ length: 200 }, () => generateP12Password());
    // assess
    for (const password of passwords) {
      expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(() => checkP12Password(password)).not.toThrow();
    }
    expect(new Set(passwords).size).toBe(passwords.length);
  });
});

describe('checkP12Password', () => {
  it.each([
    ['12 chars', 'abcdefghijkl'],
    ['128 chars', 'x'.repeat(128)],
    ['printable punctuation and spaces', 'pa ss:w0rd!@#$%^&*()'],
  ])('accepts %s', (_label, password) => {
    expect(() => checkP12Password(password)).not.toThrow();
  });

  it.each([
    ['11 chars', 'abcdefghijk'],
    ['129 chars', 'x'.repeat(129)],
    ['empty', ''],
    ['newline', 'abcdefghijkl\n'],
    ['NUL', 'abcdefghijkl\u0000'],
    ['non-ASCII', 'pässwörd-ünïcode'],
  ])('refuses %s with P12_PASSWORD_INVALID and does not echo it', (_label, password) => {
    let caught: unknown;
    try {
      checkP12Password(password);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PkiError);
    expect((caught as PkiError).code).toBe('P12_PASSWORD_INVALID');
    expect((caught as PkiError).status).toBe(400);
    if (password.length > 0) expect((caught as PkiError).message).not.toContain(password);
  });
});
