// Why: the README and docs are run by newcomers command by command, often with moved ports (LOCAL_*_PORT). These
// checks keep the shell blocks honest: no local port or URL typed in (they come from .local/stack.json), `npm run -s`
// wherever npm's output is piped or captured (else npm's banner lands in the data), and only npm scripts that exist.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts,
);

/** The command lines of every ```bash / ```sh block of a page (comments dropped, continuations joined). */
function commandLines(page: string): Array<{ page: string; line: string }> {
  const text = readFileSync(join(root, page), 'utf8');
  const blocks = [...text.matchAll(/```(?:bash|sh|shell)\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((block) =>
    block
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
      .filter(Boolean)
      .map((line) => ({ page, line })),
  );
}

const lines = pages.flatMap(commandLines);
// The stack's defaults: cert-api 9000, control 9100, RPC/OSS/FC 8701-8703, listeners 8443/8444.
const LOCAL_PORT = /(127\.0\.0\.1|localhost):(9000|9100|870[123]|8443|8444)\b|:(8443|8444):127\.0\.0\.1/;

describe('commands in the README and docs', () => {
  it('has shell blocks to check', () => {
    expect(lines.length).toBeGreaterThan(100);
  });

  it('type no local port: they read it from .local/stack.json', () => {
    expect(lines.filter(({ line }) => LOCAL_PORT.test(line))).toEqual([]);
  });

  it('use npm run -s where the output is piped or captured', () => {
    const noisy = lines.filter(({ line }) => /\$\(npm run (?!-s\b)|npm run (?!-s\b)[^|]*\|/.test(line));
    expect(noisy).toEqual([]);
  });

  it('name only npm scripts that exist', () => {
    const named = lines.flatMap(({ page, line }) =>
      [...line.matchAll(/npm run (?:-s )?([a-z][\w:-]*)/g)].map((m) => ({ page, script: m[1] })),
    );
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter(({ script }) => !scripts.includes(script))).toEqual([]);
  });
});
