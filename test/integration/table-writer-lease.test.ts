/**
 * The table writer lease against DynamoDB Local's metadata table: one owner at a time per dataset of a
 * tenant, however many ask at once; its owner takes it again; it ends on its owner's release or by itself
 * when its time is up; another tenant's dataset of the same name has a lease of its own.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoTableWriterLeases } from '../../shared/adapters/dynamo/writer-lease.js';
import { cloudContext } from '../support/cloud.js';

const ctx = cloudContext();
const leases = new DynamoTableWriterLeases(DynamoDBDocumentClient.from(ctx.dynamodb), ctx.info.metadataTable);
const unique = () => `lease-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

const T0 = Date.UTC(2026, 11, 7, 12);
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
/** `owner` asking at second `now` for a lease of `seconds`. */
const ask = (owner: string, now: number, seconds = 60) => ({ owner, now: at(now), until: at(now + seconds) });

describe('a table writer lease', () => {
  it('goes to exactly one of many owners asking at once; the others are told who holds it', async () => {
    // Prepare
    const tenant = unique();
    const owners = Array.from({ length: 12 }, (_, i) => `f_${i}`);

    // Act
    const answers = await Promise.all(owners.map((owner) => leases.acquire(tenant, 'clicks', ask(owner, 0))));

    // Assess
    const holders = new Set(answers.map((a) => a.owner));
    expect(holders.size).toBe(1);
    const [holder] = holders;
    expect(owners).toContain(holder);
    expect(answers.filter((a, i) => a.owner === owners[i])).toHaveLength(1);
  });

  it('is taken again by its owner, and by another only after its release or its end', async () => {
    // Prepare
    const tenant = unique();
    await leases.acquire(tenant, 'clicks', ask('f_a', 0));

    // Act
    const retried = await leases.acquire(tenant, 'clicks', ask('f_a', 10));
    const refused = await leases.acquire(tenant, 'clicks', ask('f_b', 20));
    await leases.release(tenant, 'clicks', 'f_b');
    const stillHeld = await leases.acquire(tenant, 'clicks', ask('f_c', 30));
    await leases.release(tenant, 'clicks', 'f_a');
    const afterRelease = await leases.acquire(tenant, 'clicks', ask('f_b', 40));
    const afterEnd = await leases.acquire(tenant, 'clicks', ask('f_c', 100));

    // Assess
    expect(retried).toEqual({ owner: 'f_a', until: at(70) });
    expect(refused).toEqual({ owner: 'f_a', until: at(70) });
    expect(stillHeld.owner).toBe('f_a');
    expect(afterRelease).toEqual({ owner: 'f_b', until: at(100) });
    expect(afterEnd).toEqual({ owner: 'f_c', until: at(160) });
  });

  it("is per tenant and dataset: another tenant's dataset of the same name has its own", async () => {
    // Prepare
    const [tenant, other] = [unique(), unique()];
    await leases.acquire(tenant, 'clicks', ask('f_a', 0));

    // Act
    const otherTenant = await leases.acquire(other, 'clicks', ask('f_b', 1));
    const otherDataset = await leases.acquire(tenant, 'views', ask('f_c', 2));
    await leases.release(other, 'clicks', 'f_a');
    const untouched = await leases.acquire(tenant, 'clicks', ask('f_d', 3));

    // Assess
    expect(otherTenant.owner).toBe('f_b');
    expect(otherDataset.owner).toBe('f_c');
    expect(untouched.owner).toBe('f_a');
  });
});
