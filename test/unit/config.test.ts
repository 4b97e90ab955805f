import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';
import { ConfigError } from '../../shared/errors.js';

describe('config', () => {
  it('returns the variables a function asks for', () => {
    // Act
    const config = loadConfig(['DATA_BUCKET'], { AWS_REGION: 'eu-west-1', DATA_BUCKET: 'b-123', OTHER: 'x' });

    // Assess
    expect(config).toEqual({ AWS_REGION: 'eu-west-1', DATA_BUCKET: 'b-123' });
  });

  it('fails loudly, naming every missing or malformed variable', () => {
    // Act
    const act = () => loadConfig(['METADATA_TABLE', 'STATE_MACHINE_ARN'], { STATE_MACHINE_ARN: 'nope' });

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/AWS_REGION.*METADATA_TABLE.*STATE_MACHINE_ARN/);
  });

  it('treats an empty endpoint override as absent and rejects a malformed one', () => {
    expect(loadConfig([], { AWS_REGION: 'r', STRATA_S3_ENDPOINT: '' }).STRATA_S3_ENDPOINT).toBeUndefined();
    expect(() => loadConfig([], { AWS_REGION: 'r', STRATA_S3_ENDPOINT: 'localhost' })).toThrow(ConfigError);
  });
});
