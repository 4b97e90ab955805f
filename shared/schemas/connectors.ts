import { z } from 'zod';
import { CONNECTOR_RUN_ID } from '../domain/connector-runs.js';

/** What the connector pull function is invoked with (by the scheduler or the API). */
export const connectorRunEventSchema = z
  .object({
    tenant: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/),
    dataset: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/),
    runId: z.string().regex(CONNECTOR_RUN_ID),
  })
  .strict();
