import { extract } from '../stages/extract.ts';
import { stageHandler } from './stageHandler.ts';

/** The extract stage as a Lambda (infra builds one function per stage of functions/stages/list.ts). */
export const handler = stageHandler('extract', extract);
