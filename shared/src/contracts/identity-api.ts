import { z } from 'zod';
import { language } from './common';
import { defineInternalRoute } from './internal-api';

/** identity checks these ids strictly: they are its own, always UUIDs. */
const uuid = z.string().uuid();

/**
 * POST /internal/ashyq/data: data received from Ashyq (terms 2.13), accepted only while the ASHYQ consent is granted
 * (409 CONSENT_REQUIRED otherwise), deleted when it ends (terms 2.14). A payload that is not a string is stored as JSON.
 */
export const ashyqDataReceived = defineInternalRoute({
  service: 'identity',
  method: 'POST',
  path: '/internal/ashyq/data',
  successStatus: 201,
  bodyLimit: '64kb',
  request: z.object({
    subscriberId: uuid,
    kind: z.string().regex(/^[\w.-]{1,64}$/, '1-64 letters, digits, _ . -'),
    payload: z.unknown().refine((value) => value !== undefined && value !== null, 'payload is required'),
  }),
  response: z.object({ id: z.string(), receivedAt: z.string() }),
});

/** GET /internal/ashyq/data?subscriberId=…: the Ashyq data held for a subscriber. */
export const ashyqDataHeld = defineInternalRoute({
  service: 'identity',
  method: 'GET',
  path: '/internal/ashyq/data',
  request: z.object({ subscriberId: uuid }),
  response: z.object({ records: z.array(z.object({ id: z.string(), kind: z.string(), payload: z.string(), receivedAt: z.string() })) }),
});

/**
 * POST /internal/notices: an in-cabinet notification (terms 2.8, 5.1), idempotent per `key`. `texts` gives it per language
 * (kk, ru, en), `title`/`body` for the languages not given; identity refuses (400, field `title`, `body` or `texts`) a
 * notice that would leave a language without a text, names a language twice, or has an empty or too long text.
 */
export const cabinetNotice = defineInternalRoute({
  service: 'identity',
  method: 'POST',
  path: '/internal/notices',
  bodyLimit: '64kb',
  request: z.object({
    subscriberId: uuid,
    title: z.string().max(200).optional(),
    body: z.string().max(4000).optional(),
    texts: z
      .array(z.object({ language, title: z.string().max(200), body: z.string().max(4000) }))
      .max(3)
      .optional(),
    key: z.string().min(1).max(80).optional(),
  }),
  response: z.object({ ok: z.literal(true) }),
});

export const notifyBy = z.enum(['CABINET', 'EMAIL', 'SMS']);

/** POST /internal/notify-preferences: how each subscriber wants to be told (terms 5.1, for delegation); erased ones are left out. */
export const notifyPreferences = defineInternalRoute({
  service: 'identity',
  method: 'POST',
  path: '/internal/notify-preferences',
  bodyLimit: '64kb',
  request: z.object({ subscriberIds: z.array(uuid).max(1000) }),
  response: z.object({
    subscribers: z.array(
      z.object({
        subscriberId: z.string(),
        notifyBy: z.array(notifyBy),
        /** the verified e-mail, or null */
        email: z.string().nullable(),
        msisdn: z.string().nullable(),
        language,
        registered: z.boolean(),
      }),
    ),
  }),
});

/**
 * POST /internal/lines/by-msisdn: the Beeline mobile line that holds this number now (terms 5.6.2: whose number a
 * management request names, for delegation), or null — no mobile subscriber has it (never provisioned, the contract
 * ended, the data erased).
 */
export const mobileLineByMsisdn = defineInternalRoute({
  service: 'identity',
  method: 'POST',
  path: '/internal/lines/by-msisdn',
  bodyLimit: '1kb',
  request: z.object({ msisdn: z.string().regex(/^\+7[67]\d{9}$/, 'an E.164 Kazakhstan number') }),
  response: z.object({ line: z.object({ subscriberId: z.string(), registered: z.boolean() }).nullable() }),
});
