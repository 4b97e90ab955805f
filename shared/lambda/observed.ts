/**
 * What every strata Lambda does around its handler: Powertools' logging context (function name, request
 * id, cold start on every line, keys reset between invocations), its metrics flushed after each
 * invocation, and an outcome count per invocation under one dimension (`stage`, `job`, `area`) so a
 * dashboard can show a failure rate per stage or job rather than a bare error count.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, metrics } from '../wiring.js';

export type Dimension = 'stage' | 'job' | 'area';

export function observed<E, R>(
  dimension: Dimension,
  name: string,
  handler: (event: E, context: Context) => Promise<R>,
) {
  return (
    middy(handler)
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(logMetrics(metrics, { captureColdStartMetric: true }))
      // After logMetrics, so its `after`/`onError` run first and the count is in the flush.
      .use(outcome(dimension, name))
  );
}

/** An API answer is a failure of ours when it is a 5xx; a 4xx is the caller's and the API working. */
function failed(dimension: Dimension, response: unknown): boolean {
  if (dimension !== 'area') return false;
  const status = (response as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 500;
}

function outcome(dimension: Dimension, name: string): MiddlewareObj {
  const count = (failure: boolean) => {
    metrics.addMetric('Succeeded', MetricUnit.Count, failure ? 0 : 1);
    metrics.addMetric('Failed', MetricUnit.Count, failure ? 1 : 0);
  };
  return {
    before: () => {
      logger.appendKeys({ [dimension]: name });
      metrics.addDimension(dimension, name);
    },
    after: (request) => count(failed(dimension, request.response)),
    onError: () => count(true),
  };
}
