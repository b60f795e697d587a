import { curate } from '../stages/curate.ts';
import { stageHandler } from './stageHandler.ts';

/** The curate stage as a Lambda (infra builds one function per stage of functions/stages/list.ts). */
export const handler = stageHandler('curate', curate);
