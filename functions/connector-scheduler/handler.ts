import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { dispatchDueConnectors } from '../../shared/app/connectors.js';
import { loadConfig } from '../../shared/config.js';
import { clock, connectorInvoker, connectorStore, logger } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'CONNECTOR_FUNCTION']);
const deps = { connectors: connectorStore(config), invoker: connectorInvoker(config), clock, logger };

/** Every minute (EventBridge): start a pull run for each connector that is due. */
export const handler = middy(async () => dispatchDueConnectors(deps)).use(injectLambdaContext(logger));
