import { parse } from 'graphql';
import { StartupError } from '@selfcare/shared';
import { readSupergraph } from '../src/system';
import { SubscriptionExecutor, checkSubscriptionSupport } from '../src/subscription-executor';

const SUBGRAPHS = ['identity', 'catalog', 'billing', 'detailing', 'delegation'];

describe('the subscription executor on public Apollo APIs', () => {
  const executor = SubscriptionExecutor.load(readSupergraph(), SUBGRAPHS);

  it('fails start-up with one line when a package no longer exports what it needs', () => {
    const check = () => checkSubscriptionSupport({ gateway: { buildOperationContext: () => ({}) as never }, federationInternals: {}, queryPlanner: { QueryPlanner: class {} as never } });
    expect(check).toThrow(StartupError);
    expect(check).toThrow(/^subscriptions need @apollo\/gateway executeQueryPlan, @apollo\/federation-internals Supergraph\.build, @apollo\/federation-internals operationFromDocument, which the installed packages do not export; install the pinned versions \(npm ci\)$/);
    expect(() => checkSubscriptionSupport()).not.toThrow();
  });

  it('fails start-up with one line for a supergraph it cannot load or a subscription served by an unknown subgraph', () => {
    expect(() => SubscriptionExecutor.load('type Query { a: Int', SUBGRAPHS)).toThrow(/^the supergraph cannot be loaded for subscriptions: [^\n]+$/);
    expect(() => SubscriptionExecutor.load(readSupergraph(), SUBGRAPHS.filter((n) => n !== 'billing'))).toThrow(
      new StartupError('subscription field balanceChanged is served by subgraph "billing", which has no configured URL'),
    );
  });

  it("resumes through the client's own `after` variable, and selects the cursor under its own alias", () => {
    const plan = executor.plan(parse('subscription S($id: ID!, $after: String) { balanceChanged(subscriberId: $id, after: $after) { delta { amount } } }'), 'S');
    expect(plan.serviceName).toBe('billing');
    expect(plan.resume).toEqual({ responseKey: 'balanceChanged', variable: 'after', clientVariable: true, literal: null });
    expect(plan.query).toMatch(/gatewayResumeCursor__: cursor/);
    expect(SubscriptionExecutor.initialAfter(plan, { id: 's1', after: 'c0' })).toBe('c0');
    expect(SubscriptionExecutor.upstreamVariables(plan, { id: 's1', after: 'c0', unused: 1 }, null)).toEqual({ id: 's1', after: 'c0' });
    expect(SubscriptionExecutor.upstreamVariables(plan, { id: 's1', after: 'c0' }, 'c9')).toEqual({ id: 's1', after: 'c9' });
    const { cursor, data } = SubscriptionExecutor.cursorOf(plan, { balanceChanged: { delta: { amount: '1.00' }, gatewayResumeCursor__: 'c10' } });
    expect(cursor).toBe('c10');
    expect(data).toEqual({ balanceChanged: { delta: { amount: '1.00' } } });
  });

  it('replaces an inline `after` (or none) with a variable of its own', () => {
    const literal = executor.plan(parse('subscription { balanceChanged(subscriberId: "s1", after: "c0") { cursor } }'), undefined);
    expect(literal.resume).toMatchObject({ variable: 'gatewayResumeAfter__', clientVariable: false, literal: 'c0' });
    expect(literal.query).toMatch(/\$gatewayResumeAfter__: String/);
    expect(literal.query).not.toMatch(/"c0"/);
    expect(SubscriptionExecutor.upstreamVariables(literal, {}, null)).toEqual({ gatewayResumeAfter__: 'c0' });
    const none = executor.plan(parse('subscription ($id: ID!) { balanceChanged(subscriberId: $id) { cursor } }'), undefined);
    expect(SubscriptionExecutor.initialAfter(none, { id: 's1' })).toBeNull();
    expect(SubscriptionExecutor.upstreamVariables(none, { id: 's1' }, 'c3')).toEqual({ id: 's1', gatewayResumeAfter__: 'c3' });
  });

  it('does not resume through a variable the operation also uses elsewhere', () => {
    const plan = executor.plan(parse('subscription ($x: String) { balanceChanged(subscriberId: "s1", after: $x) { subscriber { account { entries(after: $x) { edges { cursor } } } } } }'), undefined);
    expect(plan.serviceName).toBe('billing');
    expect(plan.resume).toBeNull();
  });

  it('keeps an aliased root field under its alias', () => {
    const plan = executor.plan(parse('subscription { money: balanceChanged(subscriberId: "s1") { cursor } }'), undefined);
    expect(SubscriptionExecutor.cursorOf(plan, { money: { cursor: 'c1', gatewayResumeCursor__: 'c1' } })).toEqual({ cursor: 'c1', data: { money: { cursor: 'c1' } } });
  });

  it('plans a document once', () => {
    const source = 'subscription ($id: ID!) { balanceChanged(subscriberId: $id) { balance { amount } } }';
    expect(executor.plan(parse(source), undefined)).toBe(executor.plan(parse(source), undefined));
  });
});
