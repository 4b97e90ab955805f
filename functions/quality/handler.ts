import { qualityStage } from '../../shared/app/assessment-stages.js';
import { afterProfileSchema } from '../../shared/schemas/ingestion.js';
import { stageHandler } from '../../shared/stage-handler.js';

/** Pipeline stage 5: data quality of the staged file (missing, outliers, stuck values, noise, duplicates). */
export const handler = stageHandler(afterProfileSchema, qualityStage);
