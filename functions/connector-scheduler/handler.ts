import { z } from 'zod';
import { dispatchDueConnectors } from '../../shared/app/connectors/runs.js';
import { loadConfig } from '../../shared/config.js';
import { scheduledHandler } from '../../shared/lambda/scheduled.js';
import { clock, connectorInvoker, connectorStore, logger } from '../../shared/wiring.js';

const config = loadConfig(['METADATA_TABLE', 'CONNECTOR_FUNCTION']);
const deps = { connectors: connectorStore(config), invoker: connectorInvoker(config), clock, logger };

/** Every minute (EventBridge): start a pull run for each connector that is due. It takes no input. */
export const handler = scheduledHandler('connector-scheduler', z.unknown(), () =>
  dispatchDueConnectors(deps),
);
