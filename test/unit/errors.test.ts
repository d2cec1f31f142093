import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { PlatformError } from '../../src/datasources/platform/errors.js';
import { formatError } from '../../src/graphql/errors.js';
import { ROUTE } from '../harness/routes.js';

const formatted = (error: Error) => formatError({ message: error.message, path: ['field'] }, new GraphQLError(error.message, { originalError: error, path: ['field'] }));

describe('formatError', () => {
  it('gives a platform failure its gateway code and the platform details, without credentials', () => {
    const error = new PlatformError({ kind: 'platform', status: 404, code: '123009', description: 'The requested task does not exist.', endpoint: ROUTE.operation });
    expect(formatted(error).extensions).toEqual({
      code: 'NOT_FOUND',
      upstream: { status: 404, code: '123009', description: 'The requested task does not exist.', endpoint: ROUTE.operation },
    });
  });

  it('tells a throttled client when to retry', () => {
    const error = new PlatformError({ kind: 'platform', status: 403, code: '1010009', description: 'app throttle exceed.', endpoint: 'GET /x' });
    expect(formatted(error).extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 60 });
  });

  it('shows nothing of a bug or of a platform answer the error model does not know', () => {
    const undocumented = new PlatformError({ kind: 'platform', status: 400, code: '999999', description: 'secret-ish detail', endpoint: 'GET /x' });
    for (const error of [undocumented, new TypeError('Cannot read properties of undefined')]) {
      expect(formatted(error)).toEqual({ message: 'Internal server error', path: ['field'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    }
  });
});
