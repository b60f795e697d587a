import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore, StoredObject } from '../../ports/objectStore.ts';

/** The lake as a local folder, with the same keys as the S3 bucket. Writes are atomic (temp file + rename). */
export class FolderStore implements ObjectStore {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  locate(key: string): string {
    const resolved = path.resolve(this.root, key);
    if (resolved !== this.root && !resolved.startsWith(this.root + path.sep)) {
      throw new Error(`key "${key}" points outside the lake`);
    }
    return resolved;
  }

  private async tempFor(file: string): Promise<string> {
    await mkdir(path.dirname(file), { recursive: true });
    return `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    const file = this.locate(key);
    const temp = await this.tempFor(file);
    await writeFile(temp, body);
    await rename(temp, file);
  }

  async putIfAbsent(key: string, body: Buffer | string): Promise<boolean> {
    const file = this.locate(key);
    await mkdir(path.dirname(file), { recursive: true });
    try {
      await writeFile(file, body, { flag: 'wx' });
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  }

  async putStream(key: string, body: Readable): Promise<void> {
    const file = this.locate(key);
    const temp = await this.tempFor(file);
    await pipeline(body, createWriteStream(temp));
    await rename(temp, file);
  }

  async putFile(key: string, source: string): Promise<void> {
    const file = this.locate(key);
    const temp = await this.tempFor(file);
    await copyFile(source, temp);
    await rename(temp, file);
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.locate(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.locate(prefix.endsWith('/') ? prefix : path.posix.dirname(prefix));
    let entries: string[];
    try {
      entries = (await readdir(dir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.endsWith('.tmp'))
        .map((e) => path.relative(this.root, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return entries.filter((key) => key.startsWith(prefix)).sort();
  }

  /** A folder has no ETag: size and modification time stand for it. */
  async listObjects(prefix: string): Promise<StoredObject[]> {
    const objects: StoredObject[] = [];
    for (const key of await this.list(prefix)) {
      try {
        const info = await stat(this.locate(key));
        objects.push({ key, size: info.size, lastModified: info.mtime.toISOString() });
      } catch (error) {
        // Deleted between the listing and the stat: not there, as a listing a moment later says.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return objects;
  }

  /**
   * Removes the temporary files of puts that never reached their rename (a process killed, or a
   * disk full, in between): no reader sees them (list skips them), they are only litter. Only
   * the run that holds the lake may call this (docs/design.md, "One run per lake"), or it would
   * take another run's put from under it. The lake's own `_` entries (the lock and its
   * take-over marker, the engine's scratch) are left alone. Returns the keys removed.
   */
  async removeTemporary(): Promise<string[]> {
    const removed: string[] = [];
    let top: string[];
    try {
      top = (await readdir(this.root)).filter((name) => !name.startsWith('_'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    for (const name of top) {
      const dir = path.join(this.root, name);
      if (!(await stat(dir)).isDirectory()) continue;
      for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile() || !entry.name.endsWith('.tmp')) continue;
        const file = path.join(entry.parentPath, entry.name);
        await rm(file, { force: true });
        removed.push(path.relative(this.root, file).split(path.sep).join('/'));
      }
    }
    return removed.sort();
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.locate(prefix), { recursive: true, force: true });
  }
}
