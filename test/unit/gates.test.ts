import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
