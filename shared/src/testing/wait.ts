/**
 * Polls until `check` returns a value (not undefined/false) or the time is up. `what` names the awaited
 * condition in the error; a function is asked only then, so the message can show what arrived instead.
 */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what: string | (() => string) = 'condition'): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `fn` with these environment variables set, restoring the previous values afterwards. */
export async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  try {
    return await fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/**
 * Probes until `accept` holds or the time is up, and returns the last value either way, so the assertion that
 * follows shows what actually arrived (for effects that travel through the outbox and the bus).
 */
export async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  let last = await probe();
  if (accept(last)) return last;
  await waitFor(async () => accept((last = await probe())), timeoutMs).catch(() => {
    // Out of time: the caller's assertion on `last` says what arrived instead.
  });
  return last;
}
