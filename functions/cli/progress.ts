import cliProgress from 'cli-progress';
import { silentProgress, type Progress, type ProgressUnit } from '../stages/context.ts';

/** A count in its unit, as a person reads it: 127.4 MB, 12,000 rows. */
export function amount(value: number, unit: ProgressUnit): string {
  if (unit === 'bytes') {
    if (value < 1024) return `${value} B`;
    if (value < 1024 ** 2) return `${(value / 1024).toFixed(1)} KB`;
    if (value < 1024 ** 3) return `${(value / 1024 ** 2).toFixed(1)} MB`;
    return `${(value / 1024 ** 3).toFixed(2)} GB`;
  }
  const n = value.toLocaleString('en-US');
  return unit === 'rows' ? `${n} rows` : n;
}

/**
 * Progress on stderr, never on stdout (what --json and a pipe read): a bar on a terminal; one
 * plain line as each bar ends elsewhere (a CI log, a file), so a log keeps what was done and how
 * long it took without a line per update.
 */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? barProgress(stream) : lineProgress(stream);
}

/** The CLI's progress: none when quiet (--json), else terminalProgress. */
export const progressFor = (quiet: boolean): Progress => (quiet ? silentProgress : terminalProgress());

function barProgress(stream: NodeJS.WriteStream): Progress {
  let bar: cliProgress.SingleBar | undefined;
  let unit: ProgressUnit = 'steps';
  return {
    start(label, total, counts = 'steps') {
      unit = counts;
      bar = new cliProgress.SingleBar(
        {
          format: `${label.padEnd(24)} {bar} {shown}${total ? ` / ${amount(total, unit)}` : ''} {detail}`,
          stream,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total || 0, 0, { detail: '', shown: amount(0, unit) });
    },
    update(done, detail) {
      bar?.update(done, { detail: detail ?? '', shown: amount(done, unit) });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

function lineProgress(stream: NodeJS.WriteStream): Progress {
  let current: { label: string; unit: ProgressUnit; began: number; done: number; detail?: string } | undefined;
  return {
    start(label, _total, unit = 'steps') {
      current = { label, unit, began: Date.now(), done: 0 };
    },
    update(done, detail) {
      if (!current) return;
      current.done = done;
      if (detail !== undefined) current.detail = detail;
    },
    stop() {
      if (!current) return;
      const { label, unit, began, done, detail } = current;
      const seconds = ((Date.now() - began) / 1000).toFixed(1);
      const what = unit === 'steps' ? '' : `${amount(done, unit)}, `;
      stream.write(`${label}: ${what}${seconds} s${detail ? ` (${detail})` : ''}\n`);
      current = undefined;
    },
  };
}
