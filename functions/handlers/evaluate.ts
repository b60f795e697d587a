import { evaluateStage } from '../stages/evaluate.ts';
import { stageHandler } from './stageHandler.ts';

/** The evaluate stage as a Lambda (infra builds one function per stage of functions/stages/list.ts). */
export const handler = stageHandler('evaluate', evaluateStage);
