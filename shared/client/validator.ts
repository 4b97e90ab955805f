/**
 * `createDataValidator`: the pipeline's own checks, in process, on data that has not been uploaded. The
 * validate, profile + quality and drift stages run pure domain code over record batches; this runs the
 * same functions, called the way the stages call them, over the caller's data (an Arrow table, row
 * objects or a column map, typed the way `ingestData` types them before the pipeline sees them). So a
 * team can check a frame before it uploads it and get the report the pipeline would write.
 *
 * With `{suite}` nothing is fetched; with `{dataset, apiUrl, apiKey}` the dataset's record (its validation
 * suite and drift settings) is fetched once, when the validator is created.
 */
import type { Table } from 'apache-arrow';
import type { DatasetRecord, DriftSettings } from '../domain/dataset.js';
import {
  compareDatasets,
  createDriftCollector,
  type DriftCollectorOptions,
  type DriftReport,
  resolveThresholds,
} from '../domain/drift/index.js';
import { applyFeatureSpec, type FeatureSpecInput } from '../domain/features/spec.js';
import { createProfiler, type DatasetProfile, type ValueRange } from '../domain/profile/index.js';
import { createQualityAssessor } from '../domain/quality/index.js';
import type { QualityReport } from '../domain/quality/types.js';
import type { CellValue, RecordBatch, TableSchema } from '../domain/table.js';
import {
  type ConvertedExpectation,
  type GreatExpectationsSuite,
  parseSuiteDocument,
  type SuiteOfDocument,
  suiteOfDocument,
  type UnsupportedExpectation,
} from '../domain/validation/great-expectations.js';
import {
  createValidator,
  suiteFromSchema,
  type ValidationReport,
  type ValidationSuite,
  type ValidationSuiteInput,
} from '../domain/validation/index.js';
import { InvalidInputError } from '../errors.js';
import { arrowTableFrom, recordBatchesOf, type TableInput, tableSchemaOf, toArrowTable } from './arrow.js';
import { createStrataClient } from './strata.js';

export type DataValidatorOptions =
  | {
      /** A strata suite, or a Great Expectations expectation suite (converted as the API converts it). */
      suite: ValidationSuiteInput | GreatExpectationsSuite;
      /** Drift settings used when `detectDrift` is given none (column roles, thresholds). */
      driftSettings?: DriftSettings;
      /** The instant freshness checks judge by; default: the time of each call. */
      now?: () => Date;
    }
  | {
      /** The dataset whose suite and drift settings to use, fetched once. */
      dataset: string;
      apiUrl: string;
      apiKey: string;
      fetch?: typeof fetch;
      now?: () => Date;
    };

export interface EngineeredFeatures {
  /** The output's schema: the input's columns (unless the spec drops them), then the features. */
  schema: TableSchema;
  numRows: number;
  /** Every output column by name, row i of each being row i of the input (after any `drop`). */
  columns: Record<string, CellValue[]>;
  /** Names of the columns the spec added. */
  features: string[];
}

export interface DataValidator {
  /** The suite `validate` runs, as strata stores it; undefined when it is inferred from each data set. */
  readonly suite: ValidationSuite | undefined;
  /** For a GE suite, which expectations became which checks; empty for a strata suite. */
  readonly converted: readonly ConvertedExpectation[];
  /** For a GE suite, the expectations left out and why; empty for a strata suite. */
  readonly unsupported: readonly UnsupportedExpectation[];
  /** The drift settings `detectDrift` defaults to (the dataset's, when created with one). */
  readonly driftSettings: DriftSettings;
  /**
   * The validation report the validate stage would write for this data: the suite's checks, or, when
   * there is none, the suite inferred from this data's schema (as the stage infers it for a first file).
   */
  validate(data: TableInput): ValidationReport;
  /** The data's profile, as the profile stage computes it. */
  profile(data: TableInput): DatasetProfile;
  /** The quality report of the quality stage: the data profiled first, then assessed with that profile. */
  assessQuality(data: TableInput, settings?: DriftSettings): QualityReport;
  /**
   * The drift report of `current` against `reference`, compared as the drift stage compares a file with
   * its reference version (column roles, identifiers and thresholds from the settings). The report names
   * `settings.referenceVersion`, or 0 for data that is no version.
   */
  detectDrift(reference: TableInput, current: TableInput, settings?: DriftSettings): DriftReport;
  /** The feature spec's columns over the data (domain/features/spec.ts), as rows-aligned column arrays. */
  engineerFeatures(data: TableInput, spec: FeatureSpecInput): EngineeredFeatures;
  /** The same, as an Arrow table. */
  engineerFeatures(data: TableInput, spec: FeatureSpecInput, options: { as: 'arrow' }): Table;
}

/** The data as strata record batches, typed as `ingestData` types it (Arrow types, else inference). */
function batchesOf(data: TableInput): { schema: TableSchema; batches: RecordBatch[] } {
  const table = toArrowTable(data);
  return { schema: tableSchemaOf(table.schema), batches: [...recordBatchesOf(table)] };
}

/**
 * The numeric columns' value ranges, which the profile stage reads from the Parquet row groups' statistics
 * (`numericRanges`): min and max over the finite values, so the histogram is counted exactly.
 */
function valueRanges(schema: TableSchema, batches: readonly RecordBatch[]): Record<string, ValueRange> {
  const ranges: Record<string, ValueRange> = {};
  schema.columns.forEach((column, i) => {
    if (column.type !== 'int' && column.type !== 'float' && column.type !== 'timestamp') return;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const batch of batches) {
      for (const v of batch.columns[i] ?? []) {
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (min <= max) ranges[column.name] = { min, max };
  });
  return ranges;
}

function profileOf(schema: TableSchema, batches: readonly RecordBatch[]): DatasetProfile {
  const profiler = createProfiler(schema, { ranges: valueRanges(schema, batches) });
  for (const batch of batches) profiler.add(batch);
  return profiler.result();
}

/** As the quality stage: a role column the settings name must exist, else it would be ignored silently. */
function checkRoles(settings: DriftSettings, schema: TableSchema): void {
  for (const [role, name] of [
    ['label', settings.labelColumn],
    ['prediction', settings.predictionColumn],
    ['time', settings.timeColumn],
  ] as const) {
    if (name !== undefined && !schema.columns.some((c) => c.name === name)) {
      throw new InvalidInputError(
        `the drift settings name "${name}" as the ${role} column, but the data has no such column`,
      );
    }
  }
}

function suiteOf(suite: unknown): SuiteOfDocument {
  const parsed = parseSuiteDocument(suite);
  if (!parsed.success) {
    const issues = parsed.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new InvalidInputError(
      `invalid suite: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return suiteOfDocument(parsed.data);
}

export async function createDataValidator(options: DataValidatorOptions): Promise<DataValidator> {
  const now = options.now ?? (() => new Date());
  let document: SuiteOfDocument | undefined;
  let driftSettings: DriftSettings;
  if ('suite' in options) {
    document = suiteOf(options.suite);
    driftSettings = options.driftSettings ?? {};
  } else {
    const client = createStrataClient({
      apiUrl: options.apiUrl,
      apiKey: options.apiKey,
      ...(options.fetch && { fetch: options.fetch }),
    });
    const record: DatasetRecord = await client.getDataset(options.dataset);
    // A dataset without a stored suite is validated as the stage validates it: by the data's own schema.
    document = record.validationSuite === undefined ? undefined : suiteOf(record.validationSuite);
    driftSettings = record.driftSettings ?? {};
  }

  function engineerFeatures(data: TableInput, spec: FeatureSpecInput): EngineeredFeatures;
  function engineerFeatures(data: TableInput, spec: FeatureSpecInput, options: { as: 'arrow' }): Table;
  function engineerFeatures(
    data: TableInput,
    spec: FeatureSpecInput,
    options?: { as: 'arrow' },
  ): EngineeredFeatures | Table {
    const { schema, batches } = batchesOf(data);
    const whole = concat(schema, batches);
    const out = applyFeatureSpec(whole, spec);
    if (options?.as === 'arrow') return arrowTableFrom(out.schema, [out]);
    const inputNames = new Set(schema.columns.map((c) => c.name));
    return {
      schema: out.schema,
      numRows: out.numRows,
      columns: Object.fromEntries(out.schema.columns.map((c, i) => [c.name, out.columns[i] ?? []])),
      features: out.schema.columns.filter((c) => !inputNames.has(c.name)).map((c) => c.name),
    };
  }

  return {
    suite: document?.suite,
    converted: document?.converted ?? [],
    unsupported: document?.unsupported ?? [],
    driftSettings,

    validate(data) {
      const { schema, batches } = batchesOf(data);
      const suite = document?.suite ?? suiteFromSchema(schema);
      const validator = createValidator(suite, schema, { now: now() });
      for (const batch of batches) validator.add(batch);
      return validator.report();
    },

    profile(data) {
      const { schema, batches } = batchesOf(data);
      return profileOf(schema, batches);
    },

    assessQuality(data, settings = driftSettings) {
      const { schema, batches } = batchesOf(data);
      checkRoles(settings, schema);
      const assessor = createQualityAssessor(schema, profileOf(schema, batches), {
        ...(settings.timeColumn && { timeColumn: settings.timeColumn }),
      });
      for (const batch of batches) assessor.add(batch);
      return assessor.result();
    },

    detectDrift(reference, current, settings = driftSettings) {
      const options: DriftCollectorOptions = {
        labelColumn: settings.labelColumn,
        predictionColumn: settings.predictionColumn,
        timeColumn: settings.timeColumn,
      };
      const side = (data: TableInput) => {
        const { schema, batches } = batchesOf(data);
        const collector = createDriftCollector(schema, options);
        for (const batch of batches) collector.add(batch);
        return collector.result();
      };
      return compareDatasets(side(reference), side(current), {
        ...options,
        identifierColumns: settings.identifierColumns,
        inferIdentifiers: settings.inferIdentifiers,
        thresholds: resolveThresholds(settings.thresholds),
        reference: {
          version: settings.referenceVersion ?? 0,
          pinned: settings.referenceVersion !== undefined,
        },
      });
    },

    engineerFeatures,
  };
}

/** The batches as one (feature engineering orders each entity's rows, so it needs them all at once). */
function concat(schema: TableSchema, batches: readonly RecordBatch[]): RecordBatch {
  if (batches.length === 1 && batches[0]) return batches[0];
  const columns: CellValue[][] = schema.columns.map(() => []);
  let numRows = 0;
  for (const batch of batches) {
    batch.columns.forEach((cells, i) => {
      const into = columns[i];
      if (into) for (let r = 0; r < batch.numRows; r++) into.push(cells[r] ?? null);
    });
    numRows += batch.numRows;
  }
  return { schema, numRows, columns };
}
