/**
 * The bench's table of issue 22's targets (bench/pipeline.ts prints it once a run): for each size,
 * each stage's seconds and share, the pipeline against DuckDB alone doing the same work by hand,
 * each stage's peak RSS and the re-run on unchanged inputs; then each target met, or its gap.
 */

/** The stages the bench times and samples, in the pipeline's order (deliver sends: not benched). */
export const benchedStages = ['extract', 'curate', 'marts', 'evaluate', 'render'] as const;
export type BenchedStage = (typeof benchedStages)[number];

/** One size of the tickets-only bench (or the every-entity one, which has no DuckDB baseline). */
export interface SizeRun {
  kind: string;
  tickets: number;
  seconds: Record<BenchedStage, number>;
  peakRssMb: Record<BenchedStage, number>;
  /** DuckDB alone: the whole job, and its load (validated read, dedupe, Parquet by month). */
  duckdbSeconds: number | null;
  duckdbLoadSeconds: number | null;
  /** Every benched stage again on unchanged inputs. */
  rerunSeconds: number;
}

/** `pulse demo`, run once through the CLI. */
export interface DemoRun {
  seconds: number;
  peakRssMb: number | null;
}

/** What the issue asks (docs/design.md, "Running on one machine"; issue 22, "Targets"). */
export const targets = {
  ratio: 1.5,
  ratioSizes: [1_000_000, 10_000_000],
  rerunShare: 0.1,
  peakRssMb: 2048,
  peakRssSize: 11_300_000,
  demoSeconds: 15,
};

/** extract → evaluate: the work DuckDB alone does too (render has no counterpart). */
const pipelineSeconds = (r: SizeRun) => r.seconds.extract + r.seconds.curate + r.seconds.marts + r.seconds.evaluate;
const firstRunSeconds = (r: SizeRun) => benchedStages.reduce((sum, s) => sum + r.seconds[s], 0);
const times = (x: number) => `${x.toFixed(2)}×`;
const count = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${Math.round(n / 1e3)}k`);
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

/** The run nearest a size the issue names, if one within a factor of two of it was run. */
function nearest(runs: readonly SizeRun[], size: number): SizeRun | undefined {
  const distance = (r: SizeRun) => Math.abs(Math.log(r.tickets / size));
  const best = [...runs].sort((a, b) => distance(a) - distance(b))[0];
  return best && distance(best) <= Math.log(2) ? best : undefined;
}

/** The per-size table: one row for each size. */
export function sizeTable(runs: readonly SizeRun[]): string[] {
  const header = [
    'sources',
    'tickets',
    ...benchedStages.map((s) => `${s} s (share)`),
    'Pulse s (extract→evaluate)',
    'DuckDB alone s',
    'ratio',
    'load: extract+curate vs DuckDB load',
    'marts+evaluate vs DuckDB aggregates',
    'peak RSS MB (extract / curate / marts / evaluate / render)',
    're-run s (of first run)',
  ];
  const lines = [row(header), row(header.map(() => '---'))];
  for (const r of runs) {
    const first = firstRunSeconds(r);
    const pulse = pipelineSeconds(r);
    const alone = r.duckdbSeconds;
    const load = r.duckdbLoadSeconds;
    const versus = (ours: number, theirs: number | null) =>
      theirs === null ? '—' : `${ours.toFixed(1)} / ${theirs.toFixed(1)} s = ${times(ours / theirs)}`;
    lines.push(
      row([
        r.kind,
        r.tickets,
        ...benchedStages.map((s) => `${r.seconds[s].toFixed(1)} (${((100 * r.seconds[s]) / first).toFixed(0)}%)`),
        pulse.toFixed(1),
        alone?.toFixed(1) ?? '—',
        alone === null ? '—' : times(pulse / alone),
        versus(r.seconds.extract + r.seconds.curate, load),
        versus(r.seconds.marts + r.seconds.evaluate, alone === null || load === null ? null : alone - load),
        benchedStages.map((s) => r.peakRssMb[s].toFixed(0)).join(' / '),
        `${r.rerunSeconds.toFixed(1)} (${((100 * r.rerunSeconds) / first).toFixed(0)}%)`,
      ]),
    );
  }
  return lines;
}

/**
 * Each target against the runs with a DuckDB baseline (tickets only, as the issue measured them):
 * "met", or the gap as a number (how far over). A target at a size not run says so; the re-run and
 * the peaks are judged at the largest size run.
 */
export function targetTable(runs: readonly SizeRun[], demo: DemoRun | null): string[] {
  const lines = [row(['target', 'measured', 'verdict']), row(['---', '---', '---'])];
  const verdict = (gap: number, unit: string, digits = 1) => (gap <= 0 ? 'met' : `gap +${gap.toFixed(digits)}${unit}`);
  const compared = runs.filter((r) => r.duckdbSeconds !== null);
  for (const size of targets.ratioSizes) {
    const name = `pipeline ≤ ${targets.ratio}× DuckDB alone at ${count(size)}`;
    const r = nearest(compared, size);
    if (!r) lines.push(row([name, 'not run at this size', '—']));
    else {
      const ratio = pipelineSeconds(r) / r.duckdbSeconds!;
      lines.push(row([name, `${times(ratio)} at ${count(r.tickets)}`, verdict(ratio - targets.ratio, '×', 2)]));
    }
  }
  const largest = [...compared].sort((a, b) => b.tickets - a.tickets)[0];
  if (largest) {
    const at = `at ${count(largest.tickets)}`;
    const small = largest.tickets < targets.peakRssSize / 2;
    const peakAt = `${at}${small ? ` (the target is at ${count(targets.peakRssSize)})` : ''}`;
    // In tenths of a percent, as shown, so the gap is the shown share less the target.
    const share = Math.round((1000 * largest.rerunSeconds) / firstRunSeconds(largest)) / 10;
    lines.push(
      row([
        `re-run on unchanged inputs ≤ ${100 * targets.rerunShare}% of the first run`,
        `${share.toFixed(1)}% ${at}`,
        verdict(share - 100 * targets.rerunShare, ' points'),
      ]),
    );
    const [stage, peak] = benchedStages.map((s) => [s, largest.peakRssMb[s]] as const).sort((a, b) => b[1] - a[1])[0]!;
    lines.push(
      row([
        `every stage's peak RSS ≤ ${targets.peakRssMb} MB`,
        `${stage} ${peak.toFixed(0)} MB, the highest, ${peakAt}`,
        verdict(peak - targets.peakRssMb, ' MB', 0),
      ]),
    );
  }
  lines.push(
    row([
      `pulse demo < ${targets.demoSeconds} s`,
      demo
        ? `${demo.seconds.toFixed(1)} s${demo.peakRssMb === null ? '' : `, peak RSS ${demo.peakRssMb.toFixed(0)} MB`}`
        : 'not run',
      demo ? verdict(demo.seconds - targets.demoSeconds, ' s') : '—',
    ]),
  );
  return lines;
}
