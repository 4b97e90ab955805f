/** Logs, metrics and the clock the use cases read. */

export interface Clock {
  now(): Date;
}

/** The part of Powertools' Logger that use cases use, so tests can pass any structured logger. */
export type LogAttributes = Record<string, unknown>;
export interface Logger {
  debug(message: string, ...extra: LogAttributes[]): void;
  info(message: string, ...extra: LogAttributes[]): void;
  warn(message: string, ...extra: LogAttributes[]): void;
  error(message: string, ...extra: LogAttributes[]): void;
}

/** Business metrics (records read, bytes, …); in Lambda, CloudWatch EMF through Powertools. */
export interface MetricsRecorder {
  add(name: string, unit: 'Count' | 'Bytes' | 'Milliseconds' | 'Percent', value: number): void;
}

export const systemClock: Clock = { now: () => new Date() };
