import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { sweepFresh } from '../../shared/app/sweep-fresh.js';
import { loadConfig } from '../../shared/config.js';
import { clock, logger, metadataStore, objectLister, orchestrator } from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'STATE_MACHINE_ARN']);
const deps = {
  objects: objectLister(config),
  files: metadataStore(config),
  orchestrator: orchestrator(config),
  clock,
  logger,
};

/** Every few minutes (EventBridge): start the pipeline of any settled fresh/ object that has no file record. */
export const handler = middy(async () => sweepFresh(deps)).use(injectLambdaContext(logger));
