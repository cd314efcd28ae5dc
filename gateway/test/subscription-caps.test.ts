import { ConfigError } from '@selfcare/shared';
import { subscriptionEnvShape, subscriptionSettingsFrom } from '../src/subscription-settings';
import { parseEnv } from '@selfcare/shared';
const readSubscriptionSettings = (source: NodeJS.ProcessEnv) => subscriptionSettingsFrom(parseEnv(subscriptionEnvShape, source));
import { SubscriptionCaps } from '../src/subscription-caps';

describe('websocket caps', () => {
  const caps = () => new SubscriptionCaps({ subscriptionsPerSocket: 2, socketsPerCaller: 2, subscriptionsPerCaller: 3, anonymousSocketsPerAddress: 2 });
  const open = (c: SubscriptionCaps, address = '10.0.0.1') => {
    const slot = c.open(address);
    if (typeof slot === 'string') throw new Error(`refused: ${slot}`);
    return slot;
  };

  it('counts sockets per verified caller, anonymous ones per address, and sockets not yet initialised apart', () => {
    const c = caps();
    const [a, b] = [open(c), open(c)];
    expect(c.open('10.0.0.1')).toBe('anonymousSocketsPerAddress'); // two not yet initialised from this address
    expect(c.identify(a, 'subscriber:1')).toBe(true);
    expect(c.identify(b, 'subscriber:1')).toBe(true);
    const third = open(c);
    expect(c.identify(third, 'subscriber:1')).toBe('socketsPerCaller');
    // Refused sockets are closed by the caller of the caps; closing frees the place.
    c.close(third);
    const anon = [open(c), open(c)];
    anon.forEach((slot) => expect(c.identify(slot, null)).toBe(true));
    const fourth = open(c);
    expect(c.identify(fourth, null)).toBe('anonymousSocketsPerAddress');
    // Another address has its own count; a verified caller is not held back by anonymous sockets.
    expect(c.identify(open(c, '10.0.0.2'), null)).toBe(true);
    c.close(a);
    expect(c.identify(fourth, 'subscriber:1')).toBe(true);
  });

  it('counts subscriptions per socket and per caller, and gives each back once, however it ends', () => {
    const c = caps();
    const [x, y] = [open(c), open(c)];
    c.identify(x, 'subscriber:1');
    c.identify(y, 'subscriber:1');
    expect([c.admit(x, '1'), c.admit(x, '2'), c.admit(x, '3')]).toEqual([true, true, 'subscriptionsPerSocket']);
    expect([c.admit(y, '1'), c.admit(y, '2')]).toEqual([true, 'subscriptionsPerCaller']);
    c.leave(x, '1');
    c.leave(x, '1');
    expect(c.subscriptionsOf('subscriber:1')).toBe(2);
    expect(c.admit(y, '2')).toBe(true);
    c.close(y);
    c.close(y);
    expect(c.subscriptionsOf('subscriber:1')).toBe(1);
    c.close(x);
    expect(c.counts).toEqual({ sockets: 0, subscriptions: 0 });
  });
});

describe('websocket settings from the environment', () => {
  it('reads the caps and the resume window, with defaults', () => {
    expect(readSubscriptionSettings({})).toEqual({ subscriptionsPerSocket: 50, socketsPerCaller: 10, subscriptionsPerCaller: 100, anonymousSocketsPerAddress: 20, resumeWindowMs: 30_000 });
    expect(readSubscriptionSettings({ GATEWAY_WS_SUBSCRIPTIONS_PER_SOCKET: '5', GATEWAY_WS_RESUME_SECONDS: '0' })).toMatchObject({ subscriptionsPerSocket: 5, resumeWindowMs: 0 });
  });

  it('refuses a cap of zero or a non-number with one line naming the variable', () => {
    expect(() => readSubscriptionSettings({ GATEWAY_WS_SOCKETS_PER_SUBSCRIBER: '0' })).toThrow(new ConfigError('GATEWAY_WS_SOCKETS_PER_SUBSCRIBER', 'must be at least 1'));
    expect(() => readSubscriptionSettings({ GATEWAY_WS_SUBSCRIPTIONS_PER_SUBSCRIBER: 'lots' })).toThrow(new ConfigError('GATEWAY_WS_SUBSCRIPTIONS_PER_SUBSCRIBER', 'must be a whole number'));
  });
});
