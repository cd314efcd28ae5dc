import { createHmac } from 'node:crypto';
import { ManualClock } from '@selfcare/shared';
import { suiteFixture, waitFor } from '@selfcare/shared/testing';
import { ConsentEntity, ConsentHistoryEntity } from '../src/consents/consent.entities';
import { AIGERIM, HOME, STEPPE, UNREGISTERED } from './support/identity';
import { IdentityHarness } from './support/identity-harness';

const BROADCAST = `mutation ($t: String!, $b: String!) { broadcastNotice(title: $t, body: $b, byEmail: true) { id status } }`;
const STATUS = `query ($id: ID!) { noticeBroadcast(id: $id) { status delivered emailed } }`;

describe('one-click unsubscribe in every marketing e-mail (terms 6.4, RFC 8058)', () => {
  const h = suiteFixture(() => IdentityHarness.start({ clock: new ManualClock(new Date()) }));
  let staff: string;

  async function broadcastByEmail(title: string): Promise<void> {
    const queued = await h.gql<{ broadcastNotice: { id: string } }>(BROADCAST, { t: title, b: 'Roaming in Turkey at home prices' }, { token: staff });
    expect(queued.errors).toBeUndefined();
    await waitFor(async () => (await h.gql(STATUS, { id: queued.data!.broadcastNotice.id }, { token: staff })).data?.noticeBroadcast?.status === 'DONE', 15_000, 'the broadcast to finish');
  }

  /** The link as the subscriber's mail client sees it, pointed at this test's identity service. */
  function local(link: string): string {
    const url = new URL(link);
    return `${h.url}${url.pathname}${url.search}`;
  }

  async function marketingEmailConsent(subscriberId: string): Promise<boolean> {
    return (await h.runtime.database.manager.findOneByOrFail(ConsentEntity, { subscriberId, purpose: 'MARKETING_EMAIL' })).granted;
  }

  beforeAll(async () => {
    staff = await h.staffLogin();
  });

  let aigerimLink = '';
  let steppeLink = '';

  it('a marketing e-mail goes only to consenting verified addresses and carries List-Unsubscribe and List-Unsubscribe-Post headers and the link in the text', async () => {
    await broadcastByEmail('Summer offer');
    const mail = await h.waitForMail(AIGERIM.email, (m) => m.subject === 'Summer offer');
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    const header = mail.headers['list-unsubscribe']!;
    expect(header).toMatch(/^<http:\/\/selfcare\.test\/links\/unsubscribe\?token=[^>]+>$/);
    aigerimLink = header.slice(1, -1);
    expect(mail.text).toContain(aigerimLink);
    steppeLink = (await h.waitForMail(STEPPE.email)).headers['list-unsubscribe']!.slice(1, -1);
    // The home-internet subscriber consented too (registration, terms 6.4).
    await h.waitForMail(HOME.email);
  });

  it('GET shows a confirmation and changes nothing (mail scanners follow links)', async () => {
    const json = await fetch(local(aigerimLink), { headers: { accept: 'application/json' } });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ status: 'CONFIRM', purpose: 'MARKETING_EMAIL', method: 'POST' });
    const html = await fetch(local(aigerimLink), { headers: { accept: 'text/html', 'accept-language': 'kk' } });
    expect(html.status).toBe(200);
    const page = await html.text();
    expect(page).toContain('<form method="post">');
    expect(page).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(page).toContain('lang="kk"');
    expect(await marketingEmailConsent(AIGERIM.id)).toBe(true);
  });

  it('POST List-Unsubscribe=One-Click withdraws MARKETING_EMAIL without a login, recorded as done through the link; a second POST changes nothing', async () => {
    h.clock.advance(1000);
    const response = await fetch(local(aigerimLink), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'UNSUBSCRIBED', purpose: 'MARKETING_EMAIL' });
    expect(await marketingEmailConsent(AIGERIM.id)).toBe(false);
    const history = await h.runtime.database.manager.find(ConsentHistoryEntity, { where: { subscriberId: AIGERIM.id, purpose: 'MARKETING_EMAIL' }, order: { at: 'ASC' } });
    expect(history.at(-1)).toMatchObject({ granted: false, source: 'UNSUBSCRIBE_LINK', actorId: AIGERIM.id, channel: null });
    // Other consents and other subscribers are untouched.
    expect(await marketingEmailConsent(STEPPE.id)).toBe(true);
    expect((await h.runtime.database.manager.findOneByOrFail(ConsentEntity, { subscriberId: AIGERIM.id, purpose: 'MARKETING_SMS' })).granted).toBe(true);

    const again = await fetch(local(aigerimLink), { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('<html');
    expect(await h.runtime.database.manager.count(ConsentHistoryEntity, { where: { subscriberId: AIGERIM.id, purpose: 'MARKETING_EMAIL' } })).toBe(history.length);
  });

  it('after unsubscribing, the next marketing e-mail is not sent to her, but still to the others', async () => {
    const before = h.mailTo(AIGERIM.email).length;
    await broadcastByEmail('Autumn offer');
    await h.waitForMail(STEPPE.email, (m) => m.subject === 'Autumn offer');
    await h.drainOutbox();
    expect(h.mailTo(AIGERIM.email).slice(before)).toEqual([]);
  });

  describe('tokens that must not work', () => {
    const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;
    async function post(token: string): Promise<number> {
      const response = await fetch(`${h.url}/links/unsubscribe?token=${encodeURIComponent(token)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: 'List-Unsubscribe=One-Click',
      });
      if (response.status === 400) expect(await response.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'token' } });
      return response.status;
    }
    const payloadOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
    const encode = (claims: object) => Buffer.from(JSON.stringify(claims)).toString('base64url');

    it('a forged signature is refused', async () => {
      const [payload, signature] = tokenOf(steppeLink).split('.') as [string, string];
      const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
      expect(await post(`${payload}.${flipped}`)).toBe(400);
      expect(await post(`${payload}.`)).toBe(400);
      expect(await post(payload)).toBe(400);
      expect(await marketingEmailConsent(STEPPE.id)).toBe(true);
    });

    it("one subscriber's token cannot be replayed for another subscriber", async () => {
      // Aigerim re-consents, then someone takes Steppe's signature and puts Aigerim's id into the payload.
      const token = await h.token(AIGERIM.msisdn);
      await h.gql('mutation { setConsent(purpose: MARKETING_EMAIL, granted: true) { granted } }', {}, { token });
      const steppeToken = tokenOf(steppeLink);
      const claims = payloadOf(steppeToken);
      expect(claims.s).toBe(STEPPE.id);
      const swapped = `${encode({ ...claims, s: AIGERIM.id })}.${steppeToken.split('.')[1]}`;
      expect(await post(swapped)).toBe(400);
      expect(await marketingEmailConsent(AIGERIM.id)).toBe(true);
      // Steppe's own token still only withdraws Steppe's consent.
      expect(await post(steppeToken)).toBe(200);
      expect(await marketingEmailConsent(STEPPE.id)).toBe(false);
      expect(await marketingEmailConsent(AIGERIM.id)).toBe(true);
    });

    it('a token for another purpose, signed with another key, expired, or missing is refused', async () => {
      const claims = payloadOf(tokenOf(steppeLink));
      const otherKey = createHmac('sha256', 'not-the-key').update('x').digest();
      const purpose = encode({ ...claims, p: 'PERSONAL_DATA' });
      expect(await post(`${purpose}.${createHmac('sha256', otherKey).update(`unsubscribe.${purpose}`).digest('base64url')}`)).toBe(400);
      const resigned = encode({ ...claims, s: HOME.id });
      expect(await post(`${resigned}.${createHmac('sha256', otherKey).update(`unsubscribe.${resigned}`).digest('base64url')}`)).toBe(400);
      expect(await post('')).toBe(400);
      expect(await post('x'.repeat(600))).toBe(400);
      expect(await marketingEmailConsent(HOME.id)).toBe(true);

      // A genuine token of a purpose a link may not withdraw (only MARKETING_EMAIL is allowed).
      const personal = h.services.unsubscribe.token(HOME.id, 'PERSONAL_DATA');
      expect(await post(personal)).toBe(400);

      const fresh = h.services.unsubscribe.token(HOME.id);
      h.clock.advance(401 * 24 * 3600 * 1000);
      try {
        expect(await post(fresh)).toBe(400);
        const get = await fetch(`${h.url}/links/unsubscribe?token=${encodeURIComponent(fresh)}`);
        expect(get.status).toBe(400);
        expect(await get.text()).toContain('<html');
      } finally {
        h.clock.advance(-401 * 24 * 3600 * 1000);
      }
      expect(await marketingEmailConsent(HOME.id)).toBe(true);
    });
  });

  it('the marketing mailer sends nothing to a subscriber without the consent or without a verified address', async () => {
    const { mailer } = h.services;
    const refusedConsent = await h.runtime.database.transaction((m) =>
      // Never registered: no consent on record (terms 6.4 consent comes with registration).
      mailer.send(m, { subscriberId: UNREGISTERED.id, email: 'someone@example.kz', language: 'EN' }, { subject: { KK: 's', RU: 's', EN: 's' }, body: { KK: 'b', RU: 'b', EN: 'b' } }),
    );
    expect(refusedConsent).toBe(false);
    const noAddress = await h.runtime.database.transaction((m) =>
      mailer.send(m, { subscriberId: HOME.id, email: null, language: 'RU' }, { subject: { KK: 's', RU: 's', EN: 's' }, body: { KK: 'b', RU: 'b', EN: 'b' } }),
    );
    expect(noAddress).toBe(false);
  });
});
