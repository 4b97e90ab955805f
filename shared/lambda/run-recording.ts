/**
 * The middy middleware every Lambda of the ingestion state machine uses (the stages and the quarantine).
 * The state machine invokes them with `{state, run}` (see `stage()` in infra/stack.ts): the middleware
 * hands the handler `state` as its event, so use cases see the same state as before, and records the
 * attempt on the run: started before the handler, ended after it (with its answer or its error). Where
 * a run starts and ends it also emits the run's OpenLineage events (app/runs/openlineage.ts).
 *
 * An event without the envelope (an execution of an earlier definition still in flight, a direct
 * invocation) is passed through unchanged and not recorded.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import { z } from 'zod';
import {
  type RunDeps,
  recordStageEnd,
  recordStageStart,
  type StageRecording,
} from '../app/runs/recording.js';

const runEnvelopeSchema = z
  .object({
    state: z.unknown(),
    run: z.object({
      id: z.string().min(1),
      arn: z.string().min(1),
      startedAt: z.string().min(1),
      stage: z.string().min(1),
      attempt: z.number().int().nonnegative(),
      enteredAt: z.string().optional(),
    }),
  })
  .strict();

export function recordRuns(resolved: RunDeps): MiddlewareObj {
  const recordings = new WeakMap<Request, { recording: StageRecording; state: unknown }>();
  return {
    name: 'recordRuns',
    before: async (request) => {
      const envelope = runEnvelopeSchema.safeParse(request.event);
      if (!envelope.success) return;
      const { state, run } = envelope.data;
      request.event = state;
      // A failure to record fails the attempt before it did anything (a TransientError is retried).
      const recording = await recordStageStart(resolved, run, state);
      if (recording) recordings.set(request, { recording, state });
    },
    after: async (request) => {
      const entry = recordings.get(request);
      if (!entry) return;
      // A failure here fails the invocation (onError below then records the attempt FAILED with it): Step
      // Functions retries a TransientError, every stage is idempotent, and the next attempt ends the run.
      await recordStageEnd(resolved, entry.recording, entry.state, { output: request.response });
      recordings.delete(request);
    },
    onError: async (request) => {
      const entry = recordings.get(request);
      if (!entry) return;
      recordings.delete(request);
      try {
        await recordStageEnd(resolved, entry.recording, entry.state, { error: request.error });
      } catch (error) {
        // The stage's own error is what Step Functions must see (Retry/Catch match on its name).
        resolved.logger.warn('could not record the failed attempt', {
          runId: entry.recording.context.id,
          error,
        });
      }
    },
  };
}
