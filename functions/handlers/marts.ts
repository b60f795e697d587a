import { buildMarts } from '../stages/marts.ts';
import { stageHandler } from './stageHandler.ts';

/**
 * The marts stage as a Lambda (infra builds one function per stage of functions/stages/list.ts).
 * Out of time, it stops its Athena query, keeps the marts and months it built, and says it is
 * not drained; the state machine invokes it again until it says it is.
 */
export const handler = stageHandler('marts', buildMarts);
