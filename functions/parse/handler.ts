import { parseStage } from '../../shared/app/pipeline-stages.js';
import { afterRegisterSchema } from '../../shared/schemas/ingestion.js';
import { stageHandler } from '../../shared/stage-handler.js';

/** Pipeline stage 2: source format → canonical Parquet in staging/ (mapping, overrides, dedup). */
export const handler = stageHandler(afterRegisterSchema, parseStage);
