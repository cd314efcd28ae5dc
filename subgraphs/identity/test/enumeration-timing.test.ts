import { DEMO_PASSWORD } from '@selfcare/shared';
import { suiteFixture } from '@selfcare/shared/testing';
import { PasswordHasher } from '../src/auth/kdf';
import { IdentityHarness } from './support/identity-harness';

/**
 * No enumeration by timing (terms 3.1.1 "same answer"): a known and an unknown number cost the same work in
 * requestPassword and in login — exactly one KDF evaluation at the same scrypt cost. Counted, not timed: a timed
 * comparison fails on a loaded machine; the cost itself is measured by bench/identity-login.js.
 */
const h = suiteFixture(() =>
  IdentityHarness.start({
    identity: {
      kdf: { log2N: 12, r: 8, p: 1 },
      rateLimits: { passwordRequestCooldownSeconds: 0, passwordRequestsPerNumberPerHour: 1000, passwordRequestsPerAddressPerHour: 1000, loginMaxFailures: 1000, loginMaxFailuresPerAddress: 1000 },
    },
  }),
);

/** The scrypt costs of the KDF evaluations one call makes, e.g. ['ln=12,r=8,p=1']. */
async function kdfWork(run: () => Promise<unknown>): Promise<string[]> {
  const spy = jest.spyOn(PasswordHasher.prototype, 'derive');
  try {
    await run();
    return spy.mock.calls.map(([, spec]) => `ln=${spec.params.log2N},r=${spec.params.r},p=${spec.params.p}`);
  } finally {
    spy.mockRestore();
  }
}

test('requestPassword: a subscriber’s number and a stranger’s cost the same KDF work', async () => {
  for (let i = 0; i < 3; i += 1) {
    const known = await kdfWork(() => h.gql(`mutation { requestPassword(msisdn: "+77051234567") }`));
    const unknown = await kdfWork(() => h.gql(`mutation { requestPassword(msisdn: "+7701777${String(i).padStart(4, '0')}") }`));
    expect(known).toEqual(['ln=12,r=8,p=1']);
    expect(unknown).toEqual(known);
  }
});

test('login: a wrong password for a real login, a non-existent login and a login without a password cost the same KDF work', async () => {
  for (let i = 0; i < 3; i += 1) {
    const known = await kdfWork(() => h.login('+77071112233', `wrong-${i}-password`));
    const unknown = await kdfWork(() => h.login(`+7701888${String(i).padStart(4, '0')}`, `wrong-${i}-password`));
    const neverSetUp = await kdfWork(() => h.login('+77475556677', `wrong-${i}-password`)); // a subscriber without any password yet
    expect(known).toEqual(['ln=12,r=8,p=1']);
    expect(unknown).toEqual(known);
    expect(neverSetUp).toEqual(known);
  }
  // And the right password still works (the lock-out was raised for this test only).
  await h.loginOk('+77071112233', DEMO_PASSWORD);
});
