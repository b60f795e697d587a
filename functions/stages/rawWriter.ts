import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { createGzip, type Gzip } from 'node:zlib';
import type { ObjectStore } from '../ports/objectStore.ts';

/**
 * Streams NDJSON lines into gzipped parts of the lake, rotating every `rowsPerPart` rows, so an
 * export of any size is written with flat memory.
 */
export class NdjsonPartWriter {
  private gzip: Gzip | undefined;
  private upload: Promise<void> | undefined;
  private rowsInPart = 0;
  private part = 0;
  private buffer: string[] = [];
  readonly keys: string[] = [];

  constructor(
    private readonly store: ObjectStore,
    private readonly keyOf: (part: number) => string,
    private readonly rowsPerPart = 1_000_000,
  ) {}

  private open(): Gzip {
    // Level 1: raw/ is a replay log, written once and read by curate; speed beats the last few percent of size.
    const gzip = createGzip({ level: 1 });
    const body = new PassThrough();
    gzip.pipe(body);
    const key = this.keyOf(this.part);
    this.keys.push(key);
    this.upload = this.store.putStream(key, body);
    this.gzip = gzip;
    return gzip;
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const gzip = this.gzip ?? this.open();
    const text = this.buffer.join('');
    this.buffer = [];
    if (!gzip.write(text)) await once(gzip, 'drain');
  }

  /** The 1-based place in its part of the next line written. */
  get nextRow(): number {
    return this.rowsInPart + 1;
  }

  async write(value: unknown): Promise<void> {
    this.buffer.push(`${JSON.stringify(value)}\n`);
    this.rowsInPart += 1;
    if (this.buffer.length >= 1000) await this.flush();
    if (this.rowsInPart >= this.rowsPerPart) await this.close();
  }

  /** Closes the current part; the next write opens a new one. */
  async close(): Promise<void> {
    await this.flush();
    if (this.gzip) {
      this.gzip.end();
      await this.upload;
      this.gzip = undefined;
      this.upload = undefined;
      this.part += 1;
    }
    this.rowsInPart = 0;
  }
}
