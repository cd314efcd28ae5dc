import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '@selfcare/billing';
import { RunningSandbox, TEST_CARDS, luhnValid, startSandboxCardProvider } from '@selfcare/gateway';
import { suiteFixture, waitFor } from '@selfcare/shared/testing';

/**
 * The sandbox card provider behaves like a real one over HTTP: Stripe's idempotency rules on charges, single-use
 * tokens, secret-key authentication, signed webhooks retried until taken, 3-D Secure pages that expire.
 */
const SECRET = 'sandbox-test-secret-0123456789';

/** A webhook receiver that refuses the first `failures` deliveries. */
function receiver(failures: number) {
  const received: { body: string; signature: string }[] = [];
  let refused = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (refused < failures) {
        refused += 1;
        res.statusCode = 503;
        res.end();
        return;
      }
      received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-signature']) });
      res.end('{}');
    });
  });
  return {
    received,
    url: '',
    async start() {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      return this;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the sandbox card provider', () => {
  const hook = suiteFixture(() => receiver(2).start());
  const sandbox = suiteFixture<RunningSandbox>(() => startSandboxCardProvider({ secret: SECRET, webhookUrl: () => hook.url, webhookRetryMs: [20, 40, 80], timeoutHoldMs: 500 }));
  const auth = { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' };
  const token = async (number: string) => {
    const response = await fetch(`${sandbox.url}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ number, expMonth: 12, expYear: 2099, cvc: '123' }) });
    return ((await response.json()) as { id: string }).id;
  };
  const charge = async (body: Record<string, unknown>, key: string, headers: Record<string, string> = auth) => {
    const response = await fetch(`${sandbox.url}/v1/charges`, { method: 'POST', headers: { ...headers, 'idempotency-key': key }, body: JSON.stringify({ amount: 1000, currency: 'KZT', reference: 'r1', ...body }) });
    return { status: response.status, body: (await response.json()) as any, replayed: response.headers.get('idempotent-replayed') };
  };

  it('has test cards that pass the Luhn check', () => {
    for (const number of Object.values(TEST_CARDS)) expect({ number, valid: luhnValid(number) }).toEqual({ number, valid: true });
    expect(luhnValid('4242424242424241')).toBe(false);
  });

  it('needs the secret key for charges', async () => {
    expect((await charge({ source: await token(TEST_CARDS.succeeds) }, randomUUID(), { 'content-type': 'application/json' })).status).toBe(401);
    expect((await charge({ source: await token(TEST_CARDS.succeeds) }, randomUUID(), { ...auth, authorization: 'Bearer wrong' })).status).toBe(401);
  });

  it('replays the first answer to the same key and parameters (a 500 too), and refuses the key with other parameters', async () => {
    const key = randomUUID();
    const source = await token(TEST_CARDS.succeeds);
    const first = await charge({ source }, key);
    expect(first).toMatchObject({ status: 200, body: { status: 'succeeded', amount: 1000, reference: 'r1' }, replayed: null });
    expect(await charge({ source }, key)).toEqual({ ...first, replayed: 'true' });
    expect(await charge({ source, amount: 1001 }, key)).toMatchObject({ status: 400, body: { error: { type: 'idempotency_error' } } });

    const failing = randomUUID();
    const source500 = await token(TEST_CARDS.answers500);
    const answer500 = await charge({ source: source500, reference: 'r500' }, failing);
    expect(answer500.status).toBe(500);
    expect((await charge({ source: source500, reference: 'r500' }, failing)).status).toBe(500);
    // …while the charge was made, as its reference tells.
    const found = await fetch(`${sandbox.url}/v1/charges?reference=r500`, { headers: auth }).then((r) => r.json() as Promise<any>);
    expect(found.data.map((c: any) => c.status)).toEqual(['succeeded']);
  });

  it('takes a token once; a request refused before it ran keeps no answer for its key', async () => {
    const source = await token(TEST_CARDS.succeeds);
    expect((await charge({ source }, randomUUID())).status).toBe(200);
    const key = randomUUID();
    expect(await charge({ source }, key)).toMatchObject({ status: 400, body: { error: { code: 'token_already_used' } } });
    expect(await charge({ source: await token(TEST_CARDS.succeeds) }, key)).toMatchObject({ status: 200 });
    expect(await charge({ source: 'tok_nonexistent' }, randomUUID())).toMatchObject({ status: 400, body: { error: { code: 'token_invalid' } } });
  });

  it('declines with 402 and the failed charge; the timeout card answers only after its hold', async () => {
    expect(await charge({ source: await token(TEST_CARDS.declined) }, randomUUID())).toMatchObject({ status: 402, body: { error: { code: 'card_declined', charge: { status: 'failed' } } } });
    const source = await token(TEST_CARDS.timesOut);
    const late = charge({ source, reference: 'late' }, randomUUID());
    await waitFor(() => sandbox.provider.charges({ reference: 'late' })[0]?.status === 'succeeded', 2000, 'the charge to be made');
    expect((await late).status).toBe(200);
  });

  it('saves a card as a reusable payment method, charges it again, and forgets it when detached', async () => {
    const saved = await charge({ source: await token(TEST_CARDS.succeeds), savePaymentMethod: true }, randomUUID());
    const method = saved.body.paymentMethod;
    expect(method).toMatchObject({ id: expect.stringMatching(/^pm_/), brand: 'VISA', last4: '4242' });
    expect((await charge({ source: method.id }, randomUUID())).status).toBe(200);
    expect((await fetch(`${sandbox.url}/v1/payment_methods/${method.id}/detach`, { method: 'POST', headers: auth })).status).toBe(200);
    expect(await charge({ source: method.id }, randomUUID())).toMatchObject({ status: 400, body: { error: { code: 'payment_method_invalid' } } });
  });

  it('asks the holder on a 3-D Secure page, fails off-session, and fails a step nobody answered in time', async () => {
    const pending = await charge({ source: await token(TEST_CARDS.threeDSecure), reference: '3ds' }, randomUUID());
    expect(pending.body).toMatchObject({ status: 'requires_action', actionUrl: expect.stringMatching(/\/v1\/3ds\/ch_/) });
    const page = await (await fetch(pending.body.actionUrl)).text();
    expect(page).toContain('10.00 KZT');
    expect(page).toMatch(/action="\/v1\/3ds\/ch_\w+\/approve"/);
    expect((await charge({ source: await token(TEST_CARDS.threeDSecure), offSession: true }, randomUUID())).body.error.code).toBe('authentication_required');
    // A sandbox whose steps last 50 ms: one nobody answers fails, as the provider's own lookups tell.
    const hasty = await startSandboxCardProvider({ secret: SECRET, webhookUrl: () => null, actionTtlMs: 50 });
    try {
      const tokenId = ((await (await fetch(`${hasty.url}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ number: TEST_CARDS.threeDSecure, expMonth: 12, expYear: 2099, cvc: '123' }) })).json()) as { id: string }).id;
      const step = await fetch(`${hasty.url}/v1/charges`, { method: 'POST', headers: { ...auth, 'idempotency-key': randomUUID() }, body: JSON.stringify({ amount: 1000, currency: 'KZT', reference: 'slow', source: tokenId }) }).then((r) => r.json() as Promise<any>);
      expect(step.status).toBe('requires_action');
      await waitFor(async () => (await fetch(`${hasty.url}/v1/charges/${step.id}`, { headers: auth }).then((r) => r.json() as Promise<any>)).status === 'failed', 5000, 'the step to expire');
      expect(hasty.provider.charges({ reference: 'slow' })[0]!.failureCode).toBe('authentication_expired');
    } finally {
      await hasty.stop();
    }
  });

  it('signs every webhook so the platform can check it, and delivers it again until answered 2xx', async () => {
    const before = hook.received.length;
    await charge({ source: await token(TEST_CARDS.succeeds), reference: 'hooked' }, randomUUID());
    const delivery = await waitFor(() => sandbox.provider.webhookDeliveries().find((d) => JSON.parse(d.body).data.object.reference === 'hooked' && d.deliveredAt), 5000, 'the delivery');
    expect(delivery.attempts).toBeGreaterThanOrEqual(1);
    const got = hook.received.slice(before).find((r) => r.body === delivery.body)!;
    expect(verifyWebhookSignature(Buffer.from(got.body), got.signature, SECRET, 300, Math.floor(Date.now() / 1000))).toBe('valid');
    expect(verifyWebhookSignature(Buffer.from(got.body), got.signature, 'another-secret-entirely', 300, Math.floor(Date.now() / 1000))).toBe('invalid');
    // The receiver refused the suite's first two attempts (503): those were made again, and every event got through.
    const all = await waitFor(() => (sandbox.provider.webhookDeliveries().every((d) => d.deliveredAt) ? sandbox.provider.webhookDeliveries() : undefined), 5000, 'every delivery');
    expect(all.reduce((sum, d) => sum + d.attempts, 0)).toBe(all.length + 2);
    expect(hook.received).toHaveLength(all.length);
  });
});
