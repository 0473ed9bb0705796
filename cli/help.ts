/** `--help` for one command, from the same option table that parsing uses: flag, variable, config key, default. */
import type { CommandSpec } from './options.js';

function wrap(text: string, width: number, indent: string): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && (line + ' ' + word).length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.map((l, i) => (i === 0 ? l : indent + l));
}

export function helpText(spec: CommandSpec, exitCodes: string[]): string {
  const rows = spec.options.map((o) => {
    const left = `  --${o.name}${o.type === 'boolean' ? '' : ` ${o.placeholder ?? 'VALUE'}`}${o.type === 'list' ? ' (repeatable)' : ''}`;
    const extras = [
      o.env ? `env ${o.env}` : '',
      o.config ? `config "${o.config}"` : '',
      o.defaultText ? `default ${o.defaultText}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    return { left, right: `${o.description}${extras ? ` [${extras}]` : ''}` };
  });
  const width = Math.max(...rows.map((r) => r.left.length)) + 2;
  const indent = ' '.repeat(width);
  const lines = [
    `Usage: ${spec.usage}`,
    '',
    ...spec.description,
    '',
    'Options:',
    ...rows.map((r) => r.left.padEnd(width) + wrap(r.right, 110 - width, indent).join('\n')),
    '',
    'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
    'Exit codes:',
    ...exitCodes.map((e) => `  ${e}`),
  ];
  return lines.join('\n') + '\n';
}
