import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { putDriftSettings } from '../../shared/app/datasets/records.js';
import type { DriftSettings } from '../../shared/domain/dataset.js';
import { DEFAULT_DRIFT_THRESHOLDS, resolveThresholds, SEVERITIES } from '../../shared/domain/drift/index.js';
import { QUALITY_STATUSES } from '../../shared/domain/quality/index.js';
import { evaluateGates } from '../../shared/domain/version.js';
import { driftSettingsBody } from '../../shared/http/schemas.js';

describe('evaluateGates', () => {
  it('holds nothing while no gate is set', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEVERITIES), fc.constantFrom(...QUALITY_STATUSES), (drift, quality) => {
        expect(evaluateGates({}, { driftSeverity: drift, qualityStatus: quality })).toEqual({
          hold: false,
          reasons: [],
        });
      }),
    );
  });

  it('holds a version whose drift is above the drift gate, and only then', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEVERITIES), fc.constantFrom(...SEVERITIES), (gate, drift) => {
        // Act
        const verdict = evaluateGates(
          { driftGate: gate },
          { driftSeverity: drift, qualityStatus: 'EXCELLENT' },
        );

        // Assess
        expect(verdict.hold).toBe(SEVERITIES.indexOf(drift) > SEVERITIES.indexOf(gate));
      }),
    );
  });

  it('holds a version whose quality is below the quality gate, and only then', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...QUALITY_STATUSES),
        fc.constantFrom(...QUALITY_STATUSES),
        (gate, status) => {
          // Act
          const verdict = evaluateGates(
            { qualityGate: gate },
            { driftSeverity: 'NONE', qualityStatus: status },
          );

          // Assess
          expect(verdict.hold).toBe(QUALITY_STATUSES.indexOf(status) < QUALITY_STATUSES.indexOf(gate));
        },
      ),
    );
  });

  it('gives one reason per breached gate', () => {
    // Act
    const verdict = evaluateGates(
      { driftGate: 'LOW', qualityGate: 'GOOD' },
      { driftSeverity: 'HIGH', qualityStatus: 'POOR' },
    );

    // Assess
    expect(verdict.hold).toBe(true);
    expect(verdict.reasons).toEqual([
      'drift severity HIGH is above the drift gate LOW',
      'quality status POOR is below the quality gate GOOD',
    ]);
  });
});

describe('drift settings', () => {
  it('reads the snake_case body into settings and keeps defaults for unset thresholds', () => {
    // Act
    const settings = driftSettingsBody.parse({
      drift_gate: 'MODERATE',
      quality_gate: 'FAIR',
      label_column: 'churned',
      thresholds: { psi: { low: 0.05, moderate: 0.1, high: 0.2, critical: 0.4 }, alpha: 0.01 },
    });
    const effective = resolveThresholds(settings.thresholds);

    // Assess
    expect(settings).toMatchObject({ driftGate: 'MODERATE', qualityGate: 'FAIR', labelColumn: 'churned' });
    expect(effective.psi).toEqual({ low: 0.05, moderate: 0.1, high: 0.2, critical: 0.4 });
    expect(effective.alpha).toBe(0.01);
    expect(effective.jsDivergence).toEqual(DEFAULT_DRIFT_THRESHOLDS.jsDivergence);
  });

  it('reads identifier overrides: columns always excluded, and inference switched off', () => {
    // Act
    const settings = driftSettingsBody.parse({
      identifier_columns: ['store_id', 'session'],
      infer_identifiers: false,
    });
    const defaults = driftSettingsBody.parse({});

    // Assess
    expect(settings).toMatchObject({ identifierColumns: ['store_id', 'session'], inferIdentifiers: false });
    expect(defaults.identifierColumns).toBeUndefined();
    expect(defaults.inferIdentifiers).toBeUndefined();
    expect(driftSettingsBody.safeParse({ identifier_columns: [''] }).success).toBe(false);
    expect(driftSettingsBody.safeParse({ infer_identifiers: 'no' }).success).toBe(false);
  });

  it('refuses to exclude the label or prediction column as an identifier', async () => {
    // Prepare
    const stored: DriftSettings[] = [];
    const deps = {
      datasets: { putDriftSettings: async (_t: string, _d: string, s: DriftSettings) => void stored.push(s) },
      versions: {},
    } as unknown as Parameters<typeof putDriftSettings>[0];

    // Act
    const refused = putDriftSettings(deps, 'acme', 'churn', {
      labelColumn: 'churned',
      identifierColumns: ['customer_id', 'churned'],
    });
    const accepted = await putDriftSettings(deps, 'acme', 'churn', {
      labelColumn: 'churned',
      identifierColumns: ['customer_id'],
      inferIdentifiers: false,
    });

    // Assess
    await expect(refused).rejects.toThrow(/identifier_columns names the label_column "churned"/);
    expect(accepted.settings).toEqual({
      labelColumn: 'churned',
      identifierColumns: ['customer_id'],
      inferIdentifiers: false,
    });
    expect(stored).toHaveLength(1);
  });

  it('rejects unknown fields, unknown levels and descending cuts', () => {
    expect(driftSettingsBody.safeParse({ driftGate: 'LOW' }).success).toBe(false);
    expect(driftSettingsBody.safeParse({ drift_gate: 'SEVERE' }).success).toBe(false);
    expect(driftSettingsBody.safeParse({ quality_gate: 'OK' }).success).toBe(false);
    expect(
      driftSettingsBody.safeParse({
        thresholds: { psi: { low: 0.3, moderate: 0.2, high: 0.4, critical: 1 } },
      }).success,
    ).toBe(false);
  });
});
