/**
 * `npm start`'s log lines for a person: the functions and the runner write JSON lines (what FC and SLS get), which
 * are hard to read in a terminal. Pretty mode prints `time LEVEL fn message key=value ...`, coloured on a TTY.
 * LOG_FORMAT=json keeps the JSON lines (pipe them to jq), LOG_FORMAT=pretty forces the readable form; by default it
 * is pretty on a terminal and JSON otherwise. Colour follows NO_COLOR / FORCE_COLOR (no-color.org). Pure: tested
 * in test/unit/runner/log-format.test.ts.
 */

export type LogFormat = 'json' | 'pretty';

export interface LogFormatOptions {
  format: LogFormat;
  colour: boolean;
}

/** The format and colour for an output stream, from LOG_FORMAT, NO_COLOR and FORCE_COLOR. */
export function logFormatOptions(env: NodeJS.ProcessEnv, isTTY: boolean): LogFormatOptions {
  const requested = (env.LOG_FORMAT ?? '').toLowerCase();
  if (requested && requested !== 'json' && requested !== 'pretty')
    throw new Error(`LOG_FORMAT must be json or pretty (got ${env.LOG_FORMAT})`);
  const format: LogFormat = requested === 'json' || requested === 'pretty' ? requested : isTTY ? 'pretty' : 'json';
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  const colour = format === 'pretty' && !env.NO_COLOR && (forced || isTTY);
  return { format, colour };
}

const COLOURS = { red: 31, yellow: 33, green: 32, cyan: 36, grey: 90, magenta: 35 } as const;
const paint = (on: boolean, colour: keyof typeof COLOURS, text: string) =>
  on ? `\u001b[${COLOURS[colour]}m${text}\u001b[39m` : text;
const LEVEL_COLOUR: Record<string, keyof typeof COLOURS> = {
  error: 'red',
  warn: 'yellow',
  info: 'green',
  debug: 'grey',
};

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** One line as the options ask: JSON lines made readable in pretty mode, any other line as it is. */
export function formatLogLine(line: string, options: LogFormatOptions): string {
  if (options.format === 'json' || !line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return line;
  const { time, level, msg, fn, ...fields } = entry;
  const clock = typeof time === 'string' && /T(\d\d:\d\d:\d\d(\.\d+)?)/.exec(time)?.[1];
  const lvl = typeof level === 'string' ? level : 'info';
  const parts = [
    ...(clock ? [paint(options.colour, 'grey', clock)] : []),
    paint(options.colour, LEVEL_COLOUR[lvl] ?? 'cyan', lvl.toUpperCase().padEnd(5)),
    ...(fn !== undefined ? [paint(options.colour, 'magenta', String(fn))] : []),
    String(msg ?? ''),
    ...Object.entries(fields).map(([k, v]) => `${paint(options.colour, 'cyan', k)}=${value(v)}`),
  ];
  return parts.join(' ');
}
