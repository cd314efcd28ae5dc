import { z } from 'zod';

const text = (max: number) => z.string().max(max).refine((value) => value.trim().length > 0, 'must not be blank');
const perLanguage = <T extends z.ZodTypeAny>(schema: T) => z.object({ KK: schema, RU: schema, EN: schema });

/**
 * `SubscriberNotificationRequested`: another service tells a subscriber of something (an order's outcome, a payment
 * receipt, a price change, a management request — terms 2.8, 5.1) without knowing how the subscriber wants to be
 * told. identity, which holds the language, the verified e-mail and `notifyBy`, delivers it: always as an in-cabinet
 * notice, and — with `delivery: PREFERENCES` — also by SMS and/or e-mail as the subscriber chose. The producer gives
 * the text in all three languages; the subscriber gets theirs. One notice per `key` (redelivery is harmless).
 * Catalog, billing, detailing and delegation may publish it on their own streams; each of their contracts includes it.
 * Procedural SMS that must reach a number whatever its preferences (codes, terms 5.6.3) do not use it: their service sends
 * them itself through its own notifications.
 */
export const subscriberNotificationRequested = z.object({
  subscriberId: z.string().uuid(),
  /** Idempotency key of the notice, e.g. `order:<id>:completed`. */
  key: z.string().min(1).max(80),
  texts: perLanguage(z.object({ title: text(200), body: text(4000) })),
  /** The SMS text per language, when SMS is one of the subscriber's channels; default "title: body" cut to 480. */
  sms: perLanguage(text(480)).optional(),
  delivery: z.enum(['PREFERENCES', 'CABINET']).default('PREFERENCES'),
});

export type SubscriberNotificationRequested = z.output<typeof subscriberNotificationRequested>;
