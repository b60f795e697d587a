import { curate } from '../stages/curate.ts';
import { stageHandler } from './stageHandler.ts';

/**
 * The curate stage as a Lambda (infra builds one function per stage of functions/stages/list.ts).
 * Out of time, it stops its Athena query, keeps what it folded, and says it is not drained; the
 * state machine invokes it again until it says it is.
 */
export const handler = stageHandler('curate', curate);
