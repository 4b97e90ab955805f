import { driftStage } from '../../shared/app/assessment-stages.js';
import { afterQualitySchema } from '../../shared/schemas/ingestion.js';
import { versionReadingStageHandler } from '../../shared/stage-handler.js';

/** Pipeline stage 6: the staged file against the dataset's reference version (drift report). */
export const handler = versionReadingStageHandler(afterQualitySchema, driftStage);
