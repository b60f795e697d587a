/**
 * The one ordered list of stages, as pure data: the local runner walks it, and the CDK stack
 * builds each stage's Lambda, its grants and the state machine from it, so the three cannot drift
 * apart. It imports no stage code, so synth does not load the renderers or the engine.
 *
 * - `reads`, `writes`: the lake key prefixes the stage touches (docs/design.md, storage layout).
 *   Its role is granted those and no other; the local runner's store refuses any other key. Every
 *   stage also reads the config (lakeKeys.config), and may alert the owners by mail.
 * - `queries`: whether it runs SQL in the query engine; only these get Athena and Glue.
 * - `scratchTables`: whether its Athena engine materialises work tables by CTAS (Glue tables
 *   named pulse_scratch_*, their files under the workgroup's results location, not the lake).
 * - `repeatsUntilDrained`: whether it may stop for time with its progress saved and say it is
 *   not drained (`drained: false`); the state machine invokes it again until it is.
 * - `memoryMb`, `timeoutSeconds`: its Lambda's size.
 */
export const stageList = [
  {
    name: 'extract',
    reads: ['state/'],
    writes: ['raw/', 'state/'],
    queries: false,
    scratchTables: false,
    repeatsUntilDrained: true,
    memoryMb: 1024,
    timeoutSeconds: 900,
  },
  {
    name: 'curate',
    reads: ['raw/', 'state/', 'curated/'],
    // curated/ holds curated/_staging/ too: a fold's rows, staged before they replace months of curated/.
    // _manifests/curated/: on S3, the manifests that commit a month (docs/design.md, "Commits").
    writes: ['state/', 'rejects/', 'curated/', '_manifests/curated/'],
    queries: true,
    scratchTables: true,
    repeatsUntilDrained: true,
    memoryMb: 512,
    timeoutSeconds: 900,
  },
  {
    name: 'marts',
    // Athena reads a table's manifests with the caller's role, then the files they name.
    reads: ['curated/', 'marts/', 'state/', '_manifests/curated/'],
    // state/_marts/: what the marts were built from, what curate changed since, and a build's progress.
    writes: ['marts/', 'state/_marts/', '_manifests/marts/'],
    queries: true,
    // A configured slice's kpi_monthly rows, materialised by CTAS before they are written with the lake's.
    scratchTables: true,
    repeatsUntilDrained: true,
    memoryMb: 512,
    timeoutSeconds: 900,
  },
  {
    name: 'evaluate',
    reads: ['curated/', 'marts/', 'state/', 'reports/', '_manifests/curated/', '_manifests/marts/'],
    writes: ['reports/'],
    queries: true,
    scratchTables: false,
    repeatsUntilDrained: false,
    memoryMb: 1024,
    timeoutSeconds: 600,
  },
  {
    // Render reads the inputs evaluate wrote under reports/ (functions/stages/publish.ts).
    name: 'render',
    reads: ['reports/'],
    writes: ['reports/'],
    queries: false,
    scratchTables: false,
    repeatsUntilDrained: false,
    memoryMb: 1536,
    timeoutSeconds: 300,
  },
  {
    name: 'deliver',
    reads: ['reports/', 'ledger/'],
    writes: ['ledger/', 'reports/'],
    queries: false,
    scratchTables: false,
    repeatsUntilDrained: false,
    memoryMb: 512,
    timeoutSeconds: 300,
  },
] as const satisfies readonly StageFacts[];

/** What the list says of each stage. */
export interface StageFacts {
  name: string;
  reads: readonly string[];
  writes: readonly string[];
  queries: boolean;
  scratchTables: boolean;
  repeatsUntilDrained: boolean;
  memoryMb: number;
  timeoutSeconds: number;
}

export type StageName = (typeof stageList)[number]['name'];
export type StageDefinition = StageFacts & { name: StageName };
export const stageNames: StageName[] = stageList.map((s) => s.name);

/** The list's facts of one stage. */
export function stageFacts(name: StageName): StageDefinition {
  return stageList.find((s) => s.name === name)!;
}

/**
 * Whether a stage's result says it ran to its end: a stage that stops for time says
 * `drained: false` (in its result, or in each part of it, as extract does per source).
 */
export function isDrained(result: unknown): boolean {
  if (Array.isArray(result)) return result.every(isDrained);
  if (result && typeof result === 'object' && 'drained' in result) return result.drained !== false;
  return true;
}
