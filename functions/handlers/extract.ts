import { extract } from '../stages/extract.ts';
import { stageHandler } from './stageHandler.ts';

/**
 * The extract stage as a Lambda. It stops at a saved watermark when its time is nearly out and
 * says it is not drained; the state machine then invokes it again, until every source is read.
 */
export const handler = stageHandler('extract', extract);
