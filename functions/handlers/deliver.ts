import { deliver } from '../stages/deliver.ts';
import { stageHandler } from './stageHandler.ts';

/** The deliver stage as a Lambda (infra builds one function per stage of functions/stages/list.ts). */
export const handler = stageHandler('deliver', deliver);
