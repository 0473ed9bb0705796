// Tests drive the clients a user has; fail up front, with a clear message, when one is missing.
import { execFileSync } from 'node:child_process';

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
if (missing.length > 0) {
  console.error(`The tests need these system tools: ${missing.map(([n]) => n).join(', ')}.`);
  console.error('On Debian: apt-get install -y openssl default-jre-headless curl unzip (or run `bash .ci/run`).');
  process.exit(1);
}
