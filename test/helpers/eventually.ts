/**
 * Why: some effects cannot be awaited directly (a call the emulator delays lands after the client gave up). Polling
 * for the effect ends as soon as it happened and still holds under load, where a fixed sleep is either too long on an
 * idle machine or too short on a busy one.
 */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}
