import { createHmac } from 'node:crypto';
import { ConfigError } from '@selfcare/shared';
import { amountToMinor, loadPaymentsSettings, verifyWebhookSignature } from '../src';
import { parseAmountWithin } from '../src/payments/amount';

describe('payments: rules without I/O', () => {
  it('reads amounts as exact minor units: digits, at most two after the point, nothing else', () => {
    expect([amountToMinor('1'), amountToMinor('1250'), amountToMinor('1250.5'), amountToMinor('1250.05'), amountToMinor('0.01'), amountToMinor('9999999999.99')]).toEqual([
      100, 125_000, 125_050, 125_005, 1, 999_999_999_999,
    ]);
    for (const text of ['', ' 1', '1 ', '-1', '+1', '1.', '.5', '1.234', '1e3', '0x10', '1,5', '١٢', '１', '10000000000', 'NaN', 'Infinity']) {
      expect({ text, minor: amountToMinor(text) }).toEqual({ text, minor: null });
    }
    expect(amountToMinor(12 as unknown as string)).toBeNull();
  });

  it('keeps amounts within the limits, naming the field and the limits in the caller’s words', () => {
    expect(parseAmountWithin('100.00', 'amount', 10_000, 20_000)).toBe(10_000);
    for (const text of ['99.99', '200.01', '0', '0.00']) {
      let error: unknown;
      try {
        parseAmountWithin(text, 'amount', 10_000, 20_000);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', options: { field: 'amount', params: { min: '100.00', max: '200.00' } } });
    }
  });

  describe('webhook signatures (HMAC-SHA256 over "<t>.<body>")', () => {
    const secret = 'whsec-test-secret-0123456789';
    const body = Buffer.from('{"id":"evt_1","type":"charge.succeeded"}');
    const sign = (t: number, payload: Buffer = body, key = secret) => createHmac('sha256', key).update(`${t}.`).update(payload).digest('hex');
    const now = 1_800_000_000;

    it('accepts the provider’s signature within the tolerance, any of several v1 values', () => {
      expect(verifyWebhookSignature(body, `t=${now},v1=${sign(now)}`, secret, 300, now + 299)).toBe('valid');
      expect(verifyWebhookSignature(body, `t=${now}, v1=${'a'.repeat(64)}, v1=${sign(now)}`, secret, 300, now)).toBe('valid');
    });

    it('refuses other secrets, other bodies, other timestamps, malformed headers; an old one is stale', () => {
      for (const header of [
        undefined,
        '',
        'v1=abc',
        `t=${now}`,
        `t=abc,v1=${sign(now)}`,
        `t=${now},v1=${sign(now, body, 'another-secret')}`,
        `t=${now},v1=${sign(now, Buffer.from('{"id":"evt_2"}'))}`,
        `t=${now + 1},v1=${sign(now)}`,
        `t=${now},v1=${sign(now).toUpperCase()}`,
        `t=${now},v1=${'x'.repeat(2000)}`,
      ]) {
        expect({ header, verdict: verifyWebhookSignature(body, header, secret, 300, now) }).toEqual({ header, verdict: 'invalid' });
      }
      expect(verifyWebhookSignature(body, `t=${now},v1=${sign(now)}`, secret, 300, now + 301)).toBe('stale');
      expect(verifyWebhookSignature(body, `t=${now},v1=${sign(now)}`, secret, 300, now - 301)).toBe('stale');
    });
  });

  describe('settings (read once, one line per mistake)', () => {
    const base = { PAYMENT_PROVIDER_URL: 'http://card-provider:4020', PAYMENT_PROVIDER_SECRET: 'a-secret-of-enough-length' };

    it('needs the provider in distributed mode and takes amounts as KZT', () => {
      expect(() => loadPaymentsSettings({})).toThrow(new ConfigError('PAYMENT_PROVIDER_URL', 'is required'));
      expect(() => loadPaymentsSettings({ PAYMENT_PROVIDER_URL: 'card-provider:4020', PAYMENT_PROVIDER_SECRET: base.PAYMENT_PROVIDER_SECRET })).toThrow(/PAYMENT_PROVIDER_URL/);
      expect(() => loadPaymentsSettings({ ...base, PAYMENT_PROVIDER_SECRET: 'short' })).toThrow(/PAYMENT_PROVIDER_SECRET: must be at least 16 characters/);
      expect(() => loadPaymentsSettings({ ...base, PAYMENT_MIN_AMOUNT: '1e2' })).toThrow('Configuration error: PAYMENT_MIN_AMOUNT: must be an amount of KZT such as 100.00');
      expect(() => loadPaymentsSettings({ ...base, PAYMENT_MIN_AMOUNT: '500.00', PAYMENT_MAX_AMOUNT: '100.00' })).toThrow('Configuration error: PAYMENT_MIN_AMOUNT: must not exceed PAYMENT_MAX_AMOUNT');
      expect(() => loadPaymentsSettings({ ...base, TRANSFER_MAX_AMOUNT: '90000.00' })).toThrow('Configuration error: TRANSFER_MAX_AMOUNT: must not exceed TRANSFER_DAILY_MAX');
      const settings = loadPaymentsSettings({ ...base, PAYMENT_PROVIDER_URL: 'http://card-provider:4020/', TRUST_PAYMENT_AMOUNT: '1000' });
      expect(settings.provider.url()).toBe('http://card-provider:4020');
      expect(settings).toMatchObject({ minAmountMinor: 10_000, maxAmountMinor: 20_000_000, trust: { amountMinor: 100_000, days: 3 }, transfers: { codeTtlSeconds: 300 } });
    });
  });
});
