import { z } from 'zod';
import { sweepFresh } from '../../shared/app/pipeline/sweep.js';
import { loadConfig } from '../../shared/config.js';
import { scheduledHandler } from '../../shared/lambda/scheduled.js';
import {
  clock,
  logger,
  metadataStore,
  objectLister,
  orchestrator,
  runLineage,
  runStore,
} from '../../shared/wiring.js';

const config = loadConfig(['DATA_BUCKET', 'METADATA_TABLE', 'STATE_MACHINE_ARN', 'OPENLINEAGE_URL']);
const deps = {
  objects: objectLister(config),
  files: metadataStore(config),
  runs: runStore(config),
  orchestrator: orchestrator(config),
  clock,
  logger,
  // A dead run it ends FAILED gets its OpenLineage FAIL event, as when reading the run ends it.
  lineage: runLineage(config),
};

/**
 * Every few minutes (EventBridge): start the pipeline of any settled fresh/ object that has no file record,
 * and restart the file of an execution that died before the pipeline finished it. It takes no input.
 */
export const handler = scheduledHandler('fresh-sweeper', z.unknown(), () => sweepFresh(deps));
