// Reads one of Alibaba's generated Go SDK repositories (alibabacloud-go/<product>-<version>): a checkout or a bare
// git directory. Only the text of `client/*.go` is read; nothing of it is copied into this repository.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const git = (dir, args) =>
  execFileSync('git', ['--git-dir', dir, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'ignore'],
  });

function gitDirOf(path) {
  for (const candidate of [join(path, '.git'), path]) {
    try {
      git(candidate, ['rev-parse', 'HEAD']);
      return candidate;
    } catch {
      // not a git directory
    }
  }
  return undefined;
}

/** `{ commit, files: [{ path, text }] }` of the repository at `path` (checkout or git directory). */
export function readGoSdk(path) {
  const gitDir = gitDirOf(path);
  const commit = gitDir ? git(gitDir, ['rev-parse', 'HEAD']).trim() : 'unknown (not a git checkout)';
  if (existsSync(join(path, 'client'))) {
    const files = readdirSync(join(path, 'client'))
      .filter((f) => f.endsWith('.go'))
      .sort()
      .map((f) => ({ path: `client/${f}`, text: readFileSync(join(path, 'client', f), 'utf8') }));
    return { commit, files };
  }
  if (!gitDir) throw new Error(`${path} is neither a checkout with client/ nor a git directory`);
  const names = git(gitDir, ['ls-tree', '-r', '--name-only', 'HEAD', 'client/'])
    .split('\n')
    .filter((f) => f.endsWith('.go'))
    .sort();
  return { commit, files: names.map((f) => ({ path: f, text: git(gitDir, ['show', `HEAD:${f}`]) })) };
}
