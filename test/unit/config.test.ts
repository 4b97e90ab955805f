import { describe, expect, it } from 'vitest';
import { loadConfig, S3_MAX_PUT_BYTES } from '../../shared/config.js';
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

  it('collects the local STRATA_SECRET_* variables into one validated record', () => {
    // Act
    const config = loadConfig([], {
      AWS_REGION: 'r',
      STRATA_SECRET_WAREHOUSE: '{"user":"u"}',
      STRATA_SECRET_EMPTY: '',
      STRATA_SECRETS_FILE: '/tmp/secrets.env',
    });

    // Assess
    expect(config.STRATA_LOCAL_SECRETS).toEqual({ STRATA_SECRET_WAREHOUSE: '{"user":"u"}' });
    expect(config.STRATA_SECRETS_FILE).toBe('/tmp/secrets.env');
    expect(loadConfig([], { AWS_REGION: 'r' }).STRATA_LOCAL_SECRETS).toBeUndefined();
    expect(() => loadConfig([], { AWS_REGION: 'r', STRATA_SECRET_lower: 'x' })).toThrow(ConfigError);
  });

  it('treats an empty endpoint override as absent and rejects a malformed one', () => {
    expect(loadConfig([], { AWS_REGION: 'r', STRATA_S3_ENDPOINT: '' }).STRATA_S3_ENDPOINT).toBeUndefined();
    expect(() => loadConfig([], { AWS_REGION: 'r', STRATA_S3_ENDPOINT: 'localhost' })).toThrow(ConfigError);
  });

  it("limits uploads to S3's single-PUT maximum unless the deployment sets a lower limit", () => {
    // Act
    const byDefault = loadConfig(['UPLOAD_MAX_BYTES'], { AWS_REGION: 'r' }).UPLOAD_MAX_BYTES;
    const lowered = loadConfig(['UPLOAD_MAX_BYTES'], { AWS_REGION: 'r', UPLOAD_MAX_BYTES: '1048576' });

    // Assess
    expect(byDefault).toBe(5 * 1024 ** 3);
    expect(byDefault).toBe(S3_MAX_PUT_BYTES);
    expect(lowered.UPLOAD_MAX_BYTES).toBe(1048576);
  });

  it.each(['0', '5368709121', '1e6', '1 GiB', '-1'])('rejects an upload limit of %j', (value) => {
    expect(() => loadConfig(['UPLOAD_MAX_BYTES'], { AWS_REGION: 'r', UPLOAD_MAX_BYTES: value })).toThrow(
      /UPLOAD_MAX_BYTES/,
    );
  });
});
