import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { runConnector } from '../../shared/app/connectors.js';
import { loadConfig } from '../../shared/config.js';
import { connectorRunEventSchema } from '../../shared/schemas/connectors.js';
import { parseWith } from '../../shared/schemas/parse.js';
import {
  clock,
  connectorStore,
  dropBox,
  logger,
  metrics,
  metricsRecorder,
  secretStore,
  sourceFactory,
} from '../../shared/wiring.js';

const config = loadConfig([
  'DATA_BUCKET',
  'DEPLOYMENT_BUCKETS',
  'METADATA_TABLE',
  'SECRETS_PREFIX',
  'CONNECTOR_NETWORK_POLICY',
]);
const base = {
  connectors: connectorStore(config),
  drop: dropBox(config),
  deploymentBuckets: config.DEPLOYMENT_BUCKETS,
  sources: sourceFactory(config),
  secrets: secretStore(config),
  clock,
  logger,
  metrics: metricsRecorder,
};

/** One connector run (started asynchronously by the scheduler or the API): pull → fresh/ → watermark. */
export const handler = middy(async (event: unknown, context: Context) =>
  runConnector(
    { ...base, remainingMs: () => context.getRemainingTimeInMillis() },
    parseWith(connectorRunEventSchema, event),
  ),
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
