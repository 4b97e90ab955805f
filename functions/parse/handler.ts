import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { parseStage } from '../../shared/app/pipeline-stages.js';
import { loadConfig } from '../../shared/config.js';
import { afterRegisterSchema } from '../../shared/schemas/ingestion.js';
import { parseWith } from '../../shared/schemas/parse.js';
import { clock, logger, metadataStore, metrics, metricsRecorder, objectStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE']);
const deps = {
  store: objectStore(config),
  datasets: metadataStore(config),
  clock,
  logger,
  metrics: metricsRecorder,
};

/** Pipeline stage 2: source format → canonical Parquet in staging/ (mapping, overrides, dedup). */
export const handler = middy(async (event: unknown) =>
  parseStage(deps, parseWith(afterRegisterSchema, event)),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
