// Proves the test setup runs ESM-only middy 6 from TypeScript.
import middy from '@middy/core';

describe('middy 6 under jest ESM', () => {
  it('runs a handler with a before middleware', async () => {
    const handler = middy(async (event: { n: number }) => ({ doubled: event.n * 2 })).use({
      before: async (request) => {
        (request.event as { n: number }).n += 1;
      },
    });
    await expect(handler({ n: 20 }, {} as never)).resolves.toEqual({ doubled: 42 });
  });
});
