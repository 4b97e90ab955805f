/**
 * The wrapper of a function invoked asynchronously (S3 notifications, another function's `Event`
 * invocation). A failure throws: Lambda retries the event twice, then hands it to the function's
 * on-failure destination where one is set. The handler gets the Lambda context for its time budget.
 */
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { parseWith } from '../schemas/parse.js';
import { observed } from './observed.js';

export function asyncHandler<S extends z.ZodType, R>(
  job: string,
  schema: S,
  run: (input: z.infer<S>, context: Context) => Promise<R>,
) {
  return observed('job', job, async (event: unknown, context: Context) =>
    run(parseWith(schema, event), context),
  );
}
