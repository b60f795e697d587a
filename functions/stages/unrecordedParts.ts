import { lakeKeys } from '../model/lakeKeys.ts';
import type { Source } from '../ports/source.ts';
import type { StageContext } from './context.ts';
import type { SourceState } from './sourceState.ts';

/**
 * Removes the raw parts of a source that its state does not record: landed by an extract that
 * was stopped (killed, out of space) before it saved the watermark covering them. Nothing reads
 * them, and this extract reads their rows again from the source, so keeping them would only
 * leave the lake unlike a clean run's. One run holds the lake (docs/design.md, "One run per
 * lake"), so no extract is landing them now. Says which it removed.
 */
export async function removeUnrecordedParts(ctx: StageContext, source: Source, state: SourceState): Promise<void> {
  const recorded = new Set(state.landed.map((p) => p.key));
  const prefix = `${lakeKeys.rawEntityPrefix(source.entity)}source=${source.name}/`;
  const unrecorded = (await ctx.store.list(prefix)).filter((key) => !recorded.has(key));
  for (const key of unrecorded) await ctx.store.deletePrefix(key);
  if (unrecorded.length > 0)
    ctx.log(
      `extract ${source.name}: removed ${unrecorded.length} raw part(s) a stopped run landed but never recorded ` +
        `(${unrecorded.join(', ')}); their rows are read again`,
    );
}
