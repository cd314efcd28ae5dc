import { DEMO_PASSWORD } from '@selfcare/shared';
import { suiteFixture } from '@selfcare/shared/testing';
import { IdentityHarness } from './support/identity-harness';

/**
 * No enumeration by timing (terms 3.1.1 "same answer"): a known and an unknown number cost the same work — one KDF
 * evaluation each — in requestPassword and in login. Measured with a realistic KDF cost (2^14) so the KDF, not
 * noise, dominates; medians of several calls, interleaved, must stay within a factor of 1.5.
 */
const h = suiteFixture(() =>
  IdentityHarness.start({
    identity: {
      kdf: { log2N: 14, r: 8, p: 1 },
      rateLimits: { passwordRequestCooldownSeconds: 0, passwordRequestsPerNumberPerHour: 1000, passwordRequestsPerAddressPerHour: 1000, loginMaxFailures: 1000, loginMaxFailuresPerAddress: 1000 },
    },
  }),
);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

test('requestPassword: a subscriber’s number and a stranger’s take about the same time', async () => {
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 9; i += 1) {
    known.push(await timed(() => h.gql(`mutation { requestPassword(msisdn: "+77051234567") }`)));
    unknown.push(await timed(() => h.gql(`mutation { requestPassword(msisdn: "+7701777${String(i).padStart(4, '0')}") }`)));
  }
  const ratio = median(known) / median(unknown);
  expect(ratio).toBeGreaterThan(1 / 1.5);
  expect(ratio).toBeLessThan(1.5);
});

test('login: a wrong password for a real login and any password for a non-existent one take about the same time', async () => {
  const known: number[] = [];
  const unknown: number[] = [];
  const neverSetUp: number[] = [];
  for (let i = 0; i < 9; i += 1) {
    known.push(await timed(() => h.login('+77071112233', `wrong-${i}-password`)));
    unknown.push(await timed(() => h.login(`+7701888${String(i).padStart(4, '0')}`, `wrong-${i}-password`)));
    neverSetUp.push(await timed(() => h.login('+77475556677', `wrong-${i}-password`))); // a subscriber without any password yet
  }
  for (const other of [unknown, neverSetUp]) {
    const ratio = median(known) / median(other);
    expect(ratio).toBeGreaterThan(1 / 1.5);
    expect(ratio).toBeLessThan(1.5);
  }
  // And the right password still works (the lock-out was raised for this test only).
  await h.loginOk('+77071112233', DEMO_PASSWORD);
});
