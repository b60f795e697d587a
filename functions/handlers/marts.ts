import { buildMarts } from '../stages/marts.ts';
import { stageHandler } from './stageHandler.ts';

/** The marts stage as a Lambda (infra builds one function per stage of functions/stages/list.ts). */
export const handler = stageHandler('marts', buildMarts);
