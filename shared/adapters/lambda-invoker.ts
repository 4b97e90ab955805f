import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { FunctionInvoker } from '../ports.js';
import { rethrowSdkError } from './sdk-errors.js';

/**
 * Asynchronous invocation of one function: Lambda queues the event (and retries a failed invocation
 * twice), so the caller returns at once and the pull runs with its own 15-minute budget.
 */
export class LambdaInvoker implements FunctionInvoker {
  constructor(
    private readonly client: LambdaClient,
    private readonly functionName: string,
  ) {}

  async invokeAsync(payload: unknown): Promise<void> {
    try {
      await this.client.send(
        new InvokeCommand({
          FunctionName: this.functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
    } catch (error) {
      rethrowSdkError('Invoke', error);
    }
  }
}
