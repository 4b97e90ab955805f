import { runConnector } from '../../shared/app/connectors/pull.js';
import { loadConfig } from '../../shared/config.js';
import { asyncHandler } from '../../shared/lambda/async.js';
import { connectorRunEventSchema } from '../../shared/schemas/connectors.js';
import {
  clock,
  connectorStore,
  dropBox,
  logger,
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
const deps = {
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
export const handler = asyncHandler('connector-pull', connectorRunEventSchema, (event, context) =>
  runConnector({ ...deps, remainingMs: () => context.getRemainingTimeInMillis() }, event),
);
