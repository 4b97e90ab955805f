import { validateStage } from '../../shared/app/pipeline-stages.js';
import { afterParseSchema } from '../../shared/schemas/ingestion.js';
import { stageHandler } from '../../shared/stage-handler.js';

/** Pipeline stage 3: the dataset's validation suite over the staged data; report in reports/. */
export const handler = stageHandler(afterParseSchema, validateStage);
