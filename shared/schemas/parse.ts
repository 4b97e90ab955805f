import type { z } from 'zod';
import { InvalidInputError } from '../errors.js';

/** Parses an event or request part; a mismatch is a typed InvalidInputError listing each issue. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what = 'event'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const summary = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
  throw new InvalidInputError(`invalid ${what}: ${summary}`, issues, { cause: result.error });
}
