import { IdentityHarness } from './support/identity-harness';

let h: IdentityHarness;
beforeAll(async () => {
  h = await IdentityHarness.start();
});
afterAll(async () => {
  await h?.stop();
});

test('smoke', async () => {
  const r = await h.gql(`mutation { requestPassword(msisdn: "8 747 555 66 77") }`);
  expect(r.errors).toBeUndefined();
  const m = await h.waitForSms('+77475556677', /: (\w+)\./);
  const login = await h.loginOk('+77475556677', m[1]!);
  const me = await h.gql(`{ me { id msisdn registered sessions { id current device } } }`, {}, { token: login.accessToken });
  console.log(JSON.stringify(me));
  expect(me.data.me.registered).toBe(true);
});
