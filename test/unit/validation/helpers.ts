import type { CellValue, ColumnType, RecordBatch, TableSchema } from '../../../shared/domain/table.js';
import { batchFromRows } from '../../../shared/domain/table.js';
import {
  type CheckResult,
  createValidator,
  type ValidationReport,
  type ValidationSuiteInput,
  validationSuiteSchema,
} from '../../../shared/domain/validation/index.js';

export const NOW = new Date('2026-06-01T12:00:00.000Z');

/** A schema from `name: type` pairs; a trailing `?` on the type makes the column nullable. */
export function schemaOf(columns: Record<string, `${ColumnType}` | `${ColumnType}?`>): TableSchema {
  return {
    columns: Object.entries(columns).map(([name, spec]) => ({
      name,
      type: spec.replace('?', '') as ColumnType,
      nullable: spec.endsWith('?'),
    })),
  };
}

/** A one-column batch. */
export function columnBatch(name: string, type: ColumnType, values: CellValue[]): RecordBatch {
  const schema = schemaOf({ [name]: `${type}?` });
  return batchFromRows(
    schema,
    values.map((v) => ({ [name]: v })),
  );
}

/** Parses the suite as the API would and runs it over the batches. */
export function validate(
  suite: ValidationSuiteInput,
  schema: TableSchema,
  batches: RecordBatch[],
  options: { now?: Date; sampleLimit?: number } = {},
): ValidationReport {
  const validator = createValidator(validationSuiteSchema.parse(suite), schema, { now: NOW, ...options });
  for (const batch of batches) validator.add(batch);
  return validator.report();
}

/** Runs one check over one batch and returns its result. */
export function runCheck(check: ValidationSuiteInput['checks'][number], batch: RecordBatch): CheckResult {
  const report = validate({ checks: [check] }, batch.schema, [batch]);
  const [result] = report.checks;
  if (!result) throw new Error('no check result');
  return result;
}
