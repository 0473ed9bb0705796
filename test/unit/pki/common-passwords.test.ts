// The shipped common-password list is exactly what scripts/common-passwords.mjs extracts from its source dictionary.
import { COMMON_PASSWORDS } from '../../../shared/pki/common-passwords.js';
// @ts-expect-error: a plain .mjs script without types
import { commonPasswordsFromDictionary } from '../../../scripts/common-passwords.mjs';

it('equals the 12+ character entries of @zxcvbn-ts/language-common (re-run the script after an upgrade)', async () => {
  const expected: string[] = await commonPasswordsFromDictionary();
  expect(expected.length).toBeGreaterThan(100);
  expect([...COMMON_PASSWORDS]).toEqual(expected);
});
