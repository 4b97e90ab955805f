import { describe, expect, it } from 'vitest';
import { postgresError } from '../../shared/adapters/postgres-source.js';

describe('PostgreSQL driver errors as ours', () => {
  it.each([
    ['EPIPE', 'write EPIPE'],
    ['ECONNRESET', 'read ECONNRESET'],
    ['ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:5432'],
  ])('takes the socket error %s as transient, though five capitals look like a SQLSTATE', (code, message) => {
    // Act
    const error = postgresError(Object.assign(new Error(message), { code }), undefined);

    // Assess
    expect(error).toMatchObject({
      name: 'TransientError',
      message: `postgresql: cannot reach the server (${code})`,
    });
  });

  it.each([
    ['57P01', 'TransientError'],
    ['40001', 'TransientError'],
    ['42P01', 'SourceError'],
    ['22P02', 'SourceError'],
  ])('judges SQLSTATE %s by its class: %s', (code, name) => {
    // Act
    const error = postgresError(Object.assign(new Error('the server said no'), { code }), undefined);

    // Assess
    expect(error).toMatchObject({ name, message: `postgresql: the server said no (SQLSTATE ${code})` });
  });

  it('keeps the password out of the message', () => {
    // Act
    const error = postgresError(new Error('password authentication failed: hunter2 rejected'), 'hunter2');

    // Assess
    expect(error.message).not.toContain('hunter2');
    expect(error.name).toBe('SourceError');
  });
});
