import { profileStage } from '../../shared/app/pipeline-stages.js';
import { afterValidateSchema } from '../../shared/schemas/ingestion.js';
import { stageHandler } from '../../shared/stage-handler.js';

/** Pipeline stage 4: per-column profile of the staged data; written to reports/. */
export const handler = stageHandler(afterValidateSchema, profileStage);
