/**
 * The one ordered list of stages, as pure data: the local runner walks it, and the state machine
 * the CDK stack builds is generated from it, so the two cannot drift apart. It imports no stage
 * code, so synth does not load the renderers or the engine. `runsAs` says where a stage's work
 * happens in the cloud: in a Lambda function, or as SQL in the query engine (Athena); memory and
 * timeout size its Lambda.
 */
export const stageList = [
  { name: 'extract', runsAs: 'function', memoryMb: 1024, timeoutSeconds: 900 },
  { name: 'curate', runsAs: 'query', memoryMb: 512, timeoutSeconds: 900 },
  { name: 'marts', runsAs: 'query', memoryMb: 512, timeoutSeconds: 900 },
  { name: 'evaluate', runsAs: 'function', memoryMb: 1024, timeoutSeconds: 600 },
  { name: 'render', runsAs: 'function', memoryMb: 1536, timeoutSeconds: 300 },
  { name: 'deliver', runsAs: 'function', memoryMb: 512, timeoutSeconds: 300 },
] as const;

export type StageName = (typeof stageList)[number]['name'];
export type StageDefinition = (typeof stageList)[number];
export const stageNames: StageName[] = stageList.map((s) => s.name);
