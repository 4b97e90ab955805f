import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionDescription } from '../domain/run.js';
import type { Orchestrator, StartedExecution } from '../ports.js';
import { rethrowSdkError, sdkErrorName } from './sdk-errors.js';

export class SfnOrchestrator implements Orchestrator {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async startIngestion(name: string, input: unknown): Promise<StartedExecution> {
    try {
      const result = await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return { executionArn: result.executionArn ?? '', started: true };
    } catch (error) {
      // Same name, closed execution (or different input): the object was already taken in.
      if (sdkErrorName(error) === 'ExecutionAlreadyExists') {
        return { executionArn: executionArnFor(this.stateMachineArn, name), started: false };
      }
      rethrowSdkError('StartExecution', error);
    }
  }

  /**
   * Only the status, stop date, error and cause leave here: the execution's input and output (a file's
   * state) are dropped. An execution that does not exist (or no longer: Step Functions keeps them 90
   * days after they end) is undefined. An execution that ended without success and describes no error
   * (an abort's or a timeout's may be only on its history) gets them from its last history event.
   */
  async describeExecution(executionArn: string): Promise<ExecutionDescription | undefined> {
    let result: DescribeExecutionCommandOutput;
    try {
      result = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if (sdkErrorName(error) === 'ExecutionDoesNotExist') return undefined;
      rethrowSdkError('DescribeExecution', error);
    }
    const status = result.status ?? 'RUNNING';
    const ending =
      result.error || result.cause || !ENDED_WITHOUT_SUCCESS.has(status)
        ? { error: result.error, cause: result.cause }
        : await this.endingError(executionArn);
    return {
      status,
      ...(result.stopDate && { stopDate: result.stopDate.toISOString() }),
      ...(ending.error && { error: ending.error }),
      ...(ending.cause && { cause: ending.cause }),
    };
  }

  /** The error and cause on an ended execution's last event (ExecutionAborted, …TimedOut, …Failed). */
  private async endingError(executionArn: string): Promise<{ error?: string; cause?: string }> {
    try {
      const history = await this.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }),
      );
      const [last] = history.events ?? [];
      const details =
        last?.executionAbortedEventDetails ??
        last?.executionTimedOutEventDetails ??
        last?.executionFailedEventDetails;
      return {
        ...(details?.error && { error: details.error }),
        ...(details?.cause && { cause: details.cause }),
      };
    } catch (error) {
      if (sdkErrorName(error) === 'ExecutionDoesNotExist') return {};
      rethrowSdkError('GetExecutionHistory', error);
    }
  }
}

const ENDED_WITHOUT_SUCCESS = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
