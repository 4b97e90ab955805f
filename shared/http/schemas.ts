/** Request schemas of the HTTP API routes: the one source for handlers and (later) the OpenAPI document. */
import { z } from 'zod';

export const paginationQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).optional(),
});

export const listDatasetsQuery = paginationQuery;
