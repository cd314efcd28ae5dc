import { TEST_CARDS } from '@selfcare/gateway';
import type { GraphQLResponse } from '@selfcare/shared/testing';
import type { TestSystem } from './system';

export { TEST_CARDS };

/** A card as a holder types it into the provider's form (a year ahead, so it never expires in a test). */
export function card(number: string, overrides: Record<string, unknown> = {}) {
  return { number, expMonth: 12, expYear: new Date().getUTCFullYear() + 2, cvc: '123', ...overrides };
}

/** POST /v1/tokens at the provider, as the cabinet's browser does: the card number goes there and nowhere else. */
export async function cardToken(providerUrl: string, number: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const response = await fetch(`${providerUrl}/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(card(number, overrides)) });
  const body = (await response.json()) as { id?: string; error?: unknown };
  if (!response.ok || !body.id) throw new Error(`no token: ${response.status} ${JSON.stringify(body)}`);
  return body.id;
}

export const PAYMENT_FIELDS = 'id status amount { amount currency } failureCode actionUrl autopay createdAt completedAt card { id brand last4 expMonth expYear }';

export const PAY = `mutation ($s: ID!, $a: String!, $t: String, $k: String!, $save: Boolean, $c: ID) {
  payByCard(subscriberId: $s, amount: $a, cardToken: $t, saveCard: $save, idempotencyKey: $k, savedCardId: $c) { ${PAYMENT_FIELDS} }
}`;

export interface PaymentView {
  id: string;
  status: 'PENDING' | 'REQUIRES_ACTION' | 'SUCCEEDED' | 'FAILED';
  amount: { amount: string; currency: string };
  failureCode: string | null;
  actionUrl: string | null;
  autopay: boolean;
  card: { id: string; brand: string; last4: string; expMonth: number; expYear: number } | null;
}

export function pay(
  t: TestSystem,
  accessToken: string,
  variables: { s: string; a: string; t?: string | null; k: string; save?: boolean | null; c?: string | null },
): Promise<GraphQLResponse<{ payByCard: PaymentView }>> {
  return t.graphql<{ payByCard: PaymentView }>(PAY, variables, { token: accessToken });
}

export async function paymentById(t: TestSystem, accessToken: string, id: string): Promise<PaymentView | null> {
  const response = await t.graphql<{ payment: PaymentView | null }>(`query ($id: ID!) { payment(id: $id) { ${PAYMENT_FIELDS} } }`, { id }, { token: accessToken });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!.payment;
}

export async function balanceOf(t: TestSystem, accessToken: string): Promise<string> {
  const response = await t.graphql<{ me: { account: { balance: { amount: string } } } }>('{ me { account { balance { amount } } } }', {}, { token: accessToken });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!.me.account.balance.amount;
}

/** The holder's answer on the 3-D Secure page (the form's POST, as a browser sends it). */
export async function answer3ds(actionUrl: string, answer: 'approve' | 'refuse'): Promise<string> {
  const page = await fetch(actionUrl);
  const html = await page.text();
  const action = new RegExp(`action="([^"]+/${answer})"`).exec(html)?.[1];
  if (!action) throw new Error(`no ${answer} form on the 3-D Secure page: ${html}`);
  const response = await fetch(new URL(action, actionUrl), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  return response.text();
}
