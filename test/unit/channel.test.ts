import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pipeThrough } from '../../shared/app/io/channel.js';

async function collect(source: AsyncIterable<number>): Promise<number[]> {
  const out: number[] = [];
  for await (const value of source) out.push(value);
  return out;
}

describe('pipeThrough', () => {
  it('hands every pushed chunk to the consumer in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer()), async (values) => {
        // Act
        const received = await pipeThrough<number, number[]>(async (push) => {
          for (const v of values) await push(v);
        }, collect);

        // Assess
        expect(received).toEqual(values);
      }),
    );
  });

  it('keeps at most one chunk waiting between producer and consumer', async () => {
    // Prepare
    let pushed = 0;
    let consumed = 0;
    let maxAhead = 0;

    // Act
    await pipeThrough<number, void>(
      async (push) => {
        for (let i = 0; i < 50; i++) {
          await push(i);
          pushed++;
          maxAhead = Math.max(maxAhead, pushed - consumed);
        }
      },
      async (source) => {
        for await (const _ of source) {
          await new Promise((r) => setTimeout(r, 1));
          consumed++;
        }
      },
    );

    // Assess
    expect(maxAhead).toBeLessThanOrEqual(1);
  });

  it('fails the consumer with the producer’s error', async () => {
    const failing = pipeThrough<number, number[]>(async (push) => {
      await push(1);
      throw new Error('bad row 7');
    }, collect);
    await expect(failing).rejects.toThrow('bad row 7');
  });

  it('stops the producer when the consumer fails', async () => {
    // Prepare
    let pushesAfterFailure = 0;

    // Act
    const failing = pipeThrough<number, void>(
      async (push) => {
        for (let i = 0; i < 100; i++) {
          await push(i);
          if (i > 2) pushesAfterFailure++;
        }
      },
      async (source) => {
        for await (const value of source) if (value === 2) throw new Error('upload failed');
      },
    );

    // Assess
    await expect(failing).rejects.toThrow('upload failed');
    expect(pushesAfterFailure).toBe(0);
  });
});
