import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { versionDataset } from '../../shared/app/version-dataset.js';
import { loadConfig } from '../../shared/config.js';
import { suiteFromSchema } from '../../shared/domain/validation/index.js';
import { recordRuns } from '../../shared/run-recorder.js';
import { afterDriftSchema } from '../../shared/schemas/ingestion.js';
import { parseWith } from '../../shared/schemas/parse.js';
import { clock, logger, metadataStore, objectStore, versionStore } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'VERSIONS_TABLE', 'LINEAGE_TABLE']);
const deps = {
  store: objectStore(config),
  datasets: metadataStore(config),
  versions: versionStore(config),
  clock,
  logger,
  defaultSuite: suiteFromSchema,
};

/** Pipeline stage 5: allocate version N, snapshot to versions/<tenant>/<dataset>/v<N>/, make it current. */
export const handler = middy(async (event: unknown) =>
  versionDataset(deps, parseWith(afterDriftSchema, event)),
)
  .use(injectLambdaContext(logger))
  // Unwraps the state machine's `{state, run}` and records the attempt on the run.
  .use(recordRuns());
