import { z } from 'zod';

/**
 * What the lifecycle scheduler is invoked with: EventBridge's scheduled event (its fields are not needed),
 * or, for an operator's run, `{tenants: [...]}` to limit the run to those tenants.
 */
export const scheduleEventSchema = z
  .object({ tenants: z.array(z.string().min(1).max(63)).min(1).optional() })
  .loose()
  .transform(({ tenants }) => ({ tenants }));
