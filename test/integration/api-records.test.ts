import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalContext } from '../../functions/cli/wiring.ts';
import { parseConfig } from '../../functions/config/load.ts';
import { parsePeriod } from '../../functions/kpis/period.ts';
import { getJson } from '../../functions/ports/objectStore.ts';
import type { Source, SourceChunk } from '../../functions/ports/source.ts';
import { curate } from '../../functions/stages/curate.ts';
import { extract, sourceTotals, stateKey, type SourceState } from '../../functions/stages/extract.ts';
import { registerCurated } from '../../functions/stages/lake.ts';

/**
 * An API source (the CRM connectors) lands its pages as records of canonical names and string
 * values, and curate validates them with the very SQL an export file goes through: the same
 * rejects, reasons and field issues, and the watermark saved once the page is durable.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'pulse-api-records-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A connector's pages, as the HTTP client would hand them over after mapping. */
class PagesSource implements Source {
  readonly name = 'crm';
  readonly entity = 'tickets';
  readonly reading = { values: { status: { Resolved: 'solved' } } };
  seen: unknown[] = [];
  async *pull(watermark: unknown): AsyncIterable<SourceChunk> {
    this.seen.push(watermark);
    yield {
      name: 'crm page 1',
      records: [
        { id: 'Z1', created_at: '2026-10-01T08:00:00Z', status: 'Resolved', channel: 'fax' },
        { id: 'Z2', created_at: 'yesterday', status: 'open' },
      ],
      watermark: { cursor: 'c1' },
    };
    yield {
      name: 'crm page 2',
      records: [{ id: 'Z3', created_at: '2026-10-02T08:00:00Z', status: 'open', reopens: '2', satisfaction: '9' }],
      watermark: { cursor: 'c2' },
    };
  }
}

describe('an API source', () => {
  it('lands its records untyped and curate validates them like an export', async () => {
    const config = parseConfig(
      {
        timezone: 'UTC',
        lake: './lake',
        sources: [{ name: 'placeholder', type: 'csv', entity: 'tickets', path: 'none.csv' }],
      },
      path.join(dir, 'pulse.config.json'),
    );
    const ctx = await createLocalContext(config, parsePeriod('2026-10'), { quiet: true });
    const source = new PagesSource();
    ctx.sources = [source];
    try {
      const [landed] = await extract(ctx);
      expect(landed!.rawKeys).toHaveLength(2);
      for (const key of landed!.rawKeys)
        expect(key).toMatch(/^raw\/tickets\/source=crm\/ingest_date=[\d-]+\/[^/]+\.ndjson\.gz$/);
      const state = (await getJson<SourceState>(ctx.store, stateKey('crm', 'tickets')))!;
      expect(state.watermark).toEqual({ cursor: 'c2' });
      expect(state.landed.map((p) => p.format)).toEqual(['records', 'records']);

      const [summary] = await curate(ctx);
      expect(summary!.sources[0]).toMatchObject({
        rowsRead: 3,
        rowsAccepted: 2,
        rowsRejected: 1,
        rejectedByReason: { bad_timestamp: 1 },
        fieldIssues: { channel: { unknown_value: 1 }, satisfaction: { out_of_range: 1 } },
      });
      expect(sourceTotals((await getJson<SourceState>(ctx.store, stateKey('crm', 'tickets')))!)).toMatchObject({
        rowsRead: 3,
        rowsAccepted: 2,
        rowsRejected: 1,
      });
      await registerCurated(ctx);
      const rows = await ctx.engine.query(
        'select id, status, channel, reopens, satisfaction, source from tickets order by id',
      );
      expect(rows).toEqual([
        { id: 'Z1', status: 'solved', channel: 'other', reopens: 0, satisfaction: null, source: 'crm' },
        { id: 'Z3', status: 'open', channel: 'other', reopens: 2, satisfaction: null, source: 'crm' },
      ]);
      // The next pull starts from the saved cursor.
      await extract(ctx);
      expect(source.seen).toEqual([undefined, { cursor: 'c2' }]);
    } finally {
      await ctx.engine.close();
    }
  });

  it('stops at a saved watermark when its time is out, and the next extract goes on from there', async () => {
    const config = parseConfig(
      {
        timezone: 'UTC',
        lake: './lake-deadline',
        sources: [{ name: 'placeholder', type: 'csv', entity: 'tickets', path: 'none.csv' }],
      },
      path.join(dir, 'pulse.config.json'),
    );
    const pages = [1, 2, 3].map((n) => ({
      records: [{ id: `P${n}`, created_at: `2026-10-0${n}T08:00:00Z`, status: 'open' }],
      watermark: { page: n },
    }));
    const seen: unknown[] = [];
    const source: Source = {
      name: 'crm',
      entity: 'tickets',
      reading: { values: {} },
      async *pull(watermark) {
        seen.push(watermark);
        const from = (watermark as { page?: number } | undefined)?.page ?? 0;
        for (const page of pages.slice(from)) yield page;
      },
    };
    // act: a deadline already past stops extract after its first durable page
    const out = await createLocalContext(config, parsePeriod('2026-10'), { quiet: true });
    out.sources = [source];
    out.deadline = Date.now() - 1;
    const [first] = await extract(out);
    out.deadline = undefined;
    const [second] = await extract(out);
    // assess
    expect(first).toMatchObject({ drained: false, rowsLanded: 1 });
    expect(second).toMatchObject({ drained: true, rowsLanded: 2 });
    expect(seen).toEqual([undefined, { page: 1 }]);
    await curate(out);
    await registerCurated(out);
    expect((await out.engine.query('select id from tickets order by id')).map((r) => r.id)).toEqual(['P1', 'P2', 'P3']);
    await out.engine.close();
  });

  it('reads several sources at once, and a failing one fails the stage only once the others are done', async () => {
    const config = parseConfig(
      {
        timezone: 'UTC',
        lake: './lake-parallel',
        sources: [{ name: 'placeholder', type: 'csv', entity: 'tickets', path: 'none.csv' }],
      },
      path.join(dir, 'pulse.config.json'),
    );
    const ctx = await createLocalContext(config, parsePeriod('2026-10'), { quiet: true });
    // The first source cannot finish before the second has started: in one-by-one order it
    // would wait for ever (the race below fails it after 5 s).
    let secondStarted!: () => void;
    const started = new Promise<void>((resolve) => (secondStarted = resolve));
    const page = (id: string) => ({
      records: [{ id, created_at: '2026-10-01T08:00:00Z', status: 'open' }],
      watermark: { id },
    });
    const finished: string[] = [];
    const make = (name: string, body: () => AsyncGenerator<SourceChunk>): Source => ({
      name,
      entity: 'tickets',
      reading: { values: {} },
      pull: body,
    });
    ctx.sources = [
      make('first', async function* () {
        await started;
        yield page('F1');
        finished.push('first');
      }),
      make('second', async function* () {
        secondStarted();
        yield page('S1');
        finished.push('second');
      }),
      make('broken', async function* () {
        yield page('B1');
        throw new Error('the CRM answered 500 three times');
      }),
    ];
    try {
      const outcome = await Promise.race([
        extract(ctx).then(
          () => 'done',
          (e: Error) => e.message,
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('timed out: sources read one by one'), 5000)),
      ]);
      expect(outcome).toBe('the CRM answered 500 three times');
      expect(finished.sort()).toEqual(['first', 'second']);
      // The broken source's first page is durable, and its watermark with it.
      expect((await getJson<SourceState>(ctx.store, stateKey('broken', 'tickets')))!.watermark).toEqual({ id: 'B1' });
    } finally {
      await ctx.engine.close();
    }
  });
});
