// Tests drive the clients a user has; fail up front, with a clear message, when one is missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const tools = [
  ['openssl', ['version']],
  ['keytool', ['-help']],
  ['curl', ['--version']],
  ['unzip', ['-v']],
];
const missing = tools.filter(([name, args]) => {
  try {
    execFileSync(name, args, { stdio: 'ignore' });
    return false;
  } catch (err) {
    return err.code === 'ENOENT';
  }
});
// The console's browser test drives Debian's Chromium (local/browser.ts); playwright-core never downloads one.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const packages = missing.map(([name]) => (name === 'keytool' ? 'default-jre-headless' : name));
if (!existsSync(chromium)) {
  missing.push([`chromium (${chromium})`]);
  packages.push('chromium');
}
if (missing.length > 0) {
  console.error(`The tests need these system tools: ${missing.map(([n]) => n).join(', ')}.`);
  console.error(`On Debian: apt-get install -y ${packages.join(' ')} (or run \`bash .ci/run\`).`);
  console.error('Chromium elsewhere: set CHROMIUM_PATH to its executable.');
  process.exit(1);
}
