import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
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
}

function executionArnFor(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
