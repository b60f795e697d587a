import { render } from '../stages/render.ts';
import { stageHandler } from './stageHandler.ts';

/** The render stage as a Lambda (infra builds one function per stage of functions/stages/list.ts). */
export const handler = stageHandler('render', render);
