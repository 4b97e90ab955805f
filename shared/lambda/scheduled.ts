/**
 * The wrapper of a function EventBridge runs on a schedule. Its event is EventBridge's scheduled event,
 * or what an operator passes to run it by hand (a schema, when the job takes any). A failure throws:
 * the rule's retry policy decides whether the tick is retried, and the next tick makes up for it.
 */
import type { z } from 'zod';
import { parseWith } from '../schemas/parse.js';
import { observed } from './observed.js';

export function scheduledHandler<S extends z.ZodType, R>(
  job: string,
  schema: S,
  run: (input: z.infer<S>) => Promise<R>,
) {
  return observed('job', job, async (event: unknown) => run(parseWith(schema, event)));
}
