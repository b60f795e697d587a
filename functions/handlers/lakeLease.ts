import { hostname } from 'node:os';
import { S3Lease } from '../adapters/aws/s3Lease.ts';
import { PulseError } from '../errors.ts';
import { describeHolder, type LakeLock } from '../ports/lakeLock.ts';
import { awsClients } from './awsClients.ts';
import { lambdaSettings } from './lambdaContext.ts';

/**
 * Another run holds the lake, so the stage did nothing. Retryable: the state machine invokes the
 * stage again later (infra/pipelineStateMachine.ts), and fails the execution if it stays held.
 */
export class LakeHeldError extends PulseError {}

/**
 * Where a stage Lambda runs, as its lease names it: the sandbox's log stream, one per execution
 * environment (AWS_LAMBDA_LOG_STREAM_NAME, Lambda's reserved environment variables).
 */
export function lambdaHost(env: Record<string, string | undefined> = process.env): string {
  const stream = env.AWS_LAMBDA_LOG_STREAM_NAME;
  return stream ? `lambda ${env.AWS_LAMBDA_FUNCTION_NAME ?? ''} ${stream}`.replace(/\s+/g, ' ') : hostname();
}

/**
 * The deployed lake's lease (docs/design.md, "One run per lake"), through the module's S3 client.
 * A Lambda cannot see another sandbox's processes, so every holder counts as running until its
 * lease expires: a lease left by a sandbox that died is taken over once its five minutes pass.
 */
export function lambdaLease(env: Record<string, string | undefined> = process.env): LakeLock {
  const host = lambdaHost(env);
  return new S3Lease(lambdaSettings(env).lake, {
    client: awsClients.s3(),
    here: () => ({ host, now: new Date(), alive: () => true }),
  });
}

/**
 * Takes the lake for one stage invocation of run `runId` (the execution's name): two executions
 * for different periods, or a `pulse run` on the s3:// lake, then never write it at once. A lake
 * another run holds fails the stage with LakeHeldError, naming the holder and since when.
 */
export async function holdLakeForStage(
  lock: LakeLock,
  holder: { runId: string; host: string; now: Date },
  log: (message: string) => void,
): Promise<void> {
  const since = holder.now.toISOString();
  const attempt = await lock.acquire({
    runId: holder.runId,
    pid: process.pid,
    host: holder.host,
    since,
    expires: since,
  });
  if (!attempt.held)
    throw new LakeHeldError(
      `the lake is held by ${describeHolder(attempt.holder)} (${lock.where}): one run per lake at a time, ` +
        'so this stage did nothing; the state machine tries it again, and the execution fails if the lake stays held',
      { retryable: true },
    );
  if (attempt.takenOver) log(`lake lease: took over ${lock.where} from ${describeHolder(attempt.takenOver)}`);
}
