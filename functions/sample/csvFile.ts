import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { stringify } from 'csv-stringify/sync';

export type Cell = string | number | boolean | null | undefined;

/** A CSV export written through a stream in batches, honouring backpressure: memory stays flat. */
export class CsvFile {
  private readonly stream: WriteStream;
  private batch: Cell[][] = [];
  rows = 0;

  constructor(
    readonly path: string,
    columns: readonly string[],
  ) {
    this.stream = createWriteStream(path);
    this.stream.write(stringify([columns as string[]]));
  }

  async write(row: Cell[]): Promise<void> {
    this.batch.push(row);
    this.rows += 1;
    if (this.batch.length >= 2000) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const text = stringify(
      this.batch.map((r) => r.map((c) => (c === null || c === undefined ? '' : c))),
      { cast: { boolean: (b) => (b ? 'true' : 'false') } },
    );
    this.batch = [];
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-10-01T09:12:33Z`: whole seconds, UTC. */
export function isoSeconds(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
}

export function isoDay(ms: number): string {
  return isoSeconds(ms).slice(0, 10);
}
