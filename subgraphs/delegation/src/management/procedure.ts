import { randomUUID } from 'node:crypto';
import { EntityManager, In, IsNull, LessThanOrEqual, MoreThan, Not } from 'typeorm';
import {
  Clock,
  ContractOutbox,
  Database,
  ErrorCode,
  GraphQLContext,
  InternalClient,
  Language,
  Logger,
  Notifications,
  SubscriberCaller,
  Texts,
  delegationEvents,
  interpolate,
  mobileLineByMsisdn,
  normalizeMsisdn,
  notifyPreferences,
  requireSubscriber,
  isUuid,
} from '@selfcare/shared';
import type { DelegationSettings } from '../config';
import { refusal } from '../errors';
import { MAX_CODE_INPUT, codeMatches, hashCode, newCode, normalizeCode } from './codes';
import { FeedKind, InboundSmsEntity, ManagementLookupEntity, ManagementRequestEntity, ManagementRequestEventEntity, ManagementStatus, openKey } from './entities';
import type { ManagementFeed } from './feed';
import { OFFER_VERSION, activityTexts, noticeTexts, refusalTexts, smsTexts, someSubscriber } from './texts';

/** terms 5.6: three wrong entries in a row void a code (the activation code; delegation holds the confirmation code to it too). */
export const MAX_ATTEMPTS = 3;
/** The short number the owner sends the confirmation code to (terms 5.6.3-5.6.4). */
export const SHORT_NUMBER = '4259';
const DAY_MS = 24 * 3600_000;
/** How long an inbound SMS id is remembered against redelivery. */
const INBOUND_KEPT_DAYS = 30;

/** An inbound SMS as the SMS centre delivers it (terms 5.6.4). */
export interface InboundSms {
  id: string;
  from: string;
  to: string;
  text: string;
}

/**
 * What became of an inbound SMS: CONFIRMED (the code of one of the sender's requests), WRONG_CODE (none of them; each
 * counted a wrong attempt), NO_REQUEST (the sender has no request awaiting a code), NOT_FOR_US (not sent to 4259),
 * STALE (the request changed meanwhile), IGNORED (no Kazakhstan sender).
 */
export type InboundOutcome = 'CONFIRMED' | 'WRONG_CODE' | 'NO_REQUEST' | 'NOT_FOR_US' | 'STALE' | 'IGNORED';

type Party = 'owner' | 'requester';
type Actor = { id: string | null; kind: 'SUBSCRIBER' | 'SYSTEM'; channel: 'WEB' | 'MOBILE_APP' | null };

/** A transaction's answer: the request as it now is, and — committed nonetheless — a refusal for the caller. */
type Outcome = { row: ManagementRequestEntity; refusal?: Error };

/**
 * The procedure of terms 5: the request (terms 5.6.1-5.6.2, an offer, terms 5.4), the owner's confirmation by SMS to 4259
 * or in the cabinet (terms 5.1, 5.6.3-5.6.5, its acceptance, terms 5.5), activation by the requester (terms 5.6.6-5.6.7), the SMS that
 * management was handed over (terms 5.6.8), the end of management (terms 4.4), and the expiry of what was never finished.
 *
 * Every change runs in one transaction with its history row, the feeds of both parties, the `ManagementRequestChanged`
 * event, the procedural SMS (codes: whatever the owner's preferences, through delegation's own notifications), the
 * notices identity delivers per the subscriber's `notifyBy`, and the activity record of both numbers (terms 2.4). A code is
 * shown once, in its SMS, and kept only as a salted slow hash; checking one costs a hash, so it is computed before the
 * transaction and the decision taken under the request's row lock, where attempts are counted one by one.
 */
export class ManagementProcedure {
  private readonly perRequest = new Map<string, Promise<void>>();

  constructor(
    private readonly database: Database,
    private readonly outbox: ContractOutbox<typeof delegationEvents>,
    private readonly notifications: Notifications,
    private readonly internal: InternalClient,
    private readonly feed: ManagementFeed,
    private readonly clock: Clock,
    private readonly settings: DelegationSettings,
    private readonly logger: Logger,
  ) {}

  // ───────────── 5.6.1-5.6.3: the request ─────────────

  /**
   * terms 5.6.2: the caller asks to manage `msisdn` (already E.164: the PhoneNumber scalar). Refused: the caller's own
   * number, one they manage already, a number no Beeline mobile subscriber holds, too many requests; an open request
   * for the same number is returned instead of a second one (and no second SMS).
   */
  async request(ctx: GraphQLContext, msisdn: string): Promise<ManagementRequestEntity> {
    const caller = requireSubscriber(ctx);
    const now = this.clock.now();
    // Cheap refusals first, so a flood of requests costs no questions to identity and sends nothing.
    const existing = await this.read((m) => m.findOne(ManagementRequestEntity, { where: { openKey: openKey(caller.subscriberId, msisdn) } }));
    if (existing?.status === ManagementStatus.ACTIVE) throw refusal(ErrorCode.CONFLICT, refusalTexts.alreadyManaged, { field: 'msisdn' });
    if (existing && this.effectiveStatus(existing, now) === existing.status) return existing;
    await this.read((m) => this.assertWithinLimits(m, caller.subscriberId, msisdn, now));
    await this.countLookup(caller.subscriberId, now);

    const { line } = await this.internal.call(mobileLineByMsisdn, { msisdn });
    if (!line) throw refusal(ErrorCode.BAD_USER_INPUT, refusalTexts.notBeeline, { field: 'msisdn' });
    if (line.subscriberId === caller.subscriberId) throw refusal(ErrorCode.BAD_USER_INPUT, refusalTexts.ownNumber, { field: 'msisdn' });
    const ownerId = line.subscriberId;
    const { subscribers } = await this.internal.call(notifyPreferences, { subscriberIds: [ownerId, caller.subscriberId] });
    const owner = subscribers.find((s) => s.subscriberId === ownerId);
    const requester = subscribers.find((s) => s.subscriberId === caller.subscriberId);
    const code = newCode();
    const codeHash = await hashCode(code);

    return this.database.transaction(async (m) => {
      // Locks in the order every change takes them — the request row, then the parties' feed heads — so two
      // transactions never wait on each other crosswise.
      const key = openKey(caller.subscriberId, msisdn);
      const open = await m.findOne(ManagementRequestEntity, { where: { openKey: key }, lock: this.database.lockMode });
      if (open) {
        if (open.status === ManagementStatus.ACTIVE) throw refusal(ErrorCode.CONFLICT, refusalTexts.alreadyManaged, { field: 'msisdn' });
        if (this.effectiveStatus(open, now) === open.status) return open;
        // Its time ran out before the expiry job came by: it ends now, and a new one may be made.
        await this.expire(m, open);
      }
      // Both parties' heads, held to commit: the limits below, and "is one open already", cannot race.
      await this.feed.lock(m, [caller.subscriberId, ownerId]);
      const raced = await m.findOne(ManagementRequestEntity, { where: { openKey: key } });
      if (raced) {
        if (raced.status === ManagementStatus.ACTIVE) throw refusal(ErrorCode.CONFLICT, refusalTexts.alreadyManaged, { field: 'msisdn' });
        return raced;
      }
      await this.assertWithinLimits(m, caller.subscriberId, msisdn, now);
      const row = m.create(ManagementRequestEntity, {
        id: randomUUID(),
        status: ManagementStatus.AWAITING_CONFIRMATION,
        requesterId: caller.subscriberId,
        requesterMsisdn: requester?.msisdn ?? null,
        ownerMsisdn: msisdn,
        ownerId,
        channel: caller.channel,
        offerVersion: OFFER_VERSION,
        ownerLanguage: owner?.language ?? Language.RU,
        requesterLanguage: requester?.language ?? Language.RU,
        openKey: openKey(caller.subscriberId, msisdn),
        confirmationCodeHash: codeHash,
        confirmationExpiresAt: new Date(now.getTime() + this.settings.confirmationTtlSeconds * 1000),
        confirmationFailures: 0,
        confirmedAt: null,
        confirmedVia: null,
        activationCodeHash: null,
        activationExpiresAt: null,
        activationAttemptsLeft: null,
        activatedAt: null,
        endedAt: null,
        endedBy: null,
        createdAt: now,
        updatedAt: now,
      });
      await m.insert(ManagementRequestEntity, row);
      // terms 5.4: the offer — which text, when, through which channel.
      await this.history(m, row, 'OFFER_MADE', { id: caller.subscriberId, kind: 'SUBSCRIBER', channel: caller.channel }, { offerVersion: OFFER_VERSION });
      await this.feed.append(
        m,
        [
          { subscriberId: ownerId, kind: FeedKind.RECEIVED, requestId: row.id, status: row.status },
          { subscriberId: caller.subscriberId, kind: FeedKind.UPDATED, requestId: row.id, status: row.status },
        ],
        now,
      );
      await this.changed(m, row, null);
      // terms 5.6.3 (and 5.1 for an owner who is not registered): the SMS with the code, whatever the owner's preferences.
      await this.sms(m, row, 'owner', smsTexts.confirmationCode, { code, hours: Math.round(this.settings.confirmationTtlSeconds / 3600) });
      // terms 5.1: in the cabinet, and by e-mail and/or SMS as the owner chose (identity delivers it).
      await this.notice(m, row, 'owner', 'requested', noticeTexts.requestReceived, 'PREFERENCES');
      const actor: Actor = { id: caller.subscriberId, kind: 'SUBSCRIBER', channel: caller.channel };
      await this.activity(m, row, 'owner', 'MANAGEMENT_REQUESTED', actor, activityTexts.requested);
      await this.activity(m, row, 'requester', 'MANAGEMENT_REQUEST_SENT', actor, activityTexts.requestSent);
      return row;
    });
  }

  /**
   * Every answer of identity's tells whether a number is a Beeline subscriber's: a requester may ask so many a day,
   * refused requests included, so the mutation is no way to list the operator's numbers. Counted under the requester's
   * feed head, so requests at once cannot slip past the limit together.
   */
  private async countLookup(requesterId: string, now: Date): Promise<void> {
    const max = this.settings.lookupsPerRequesterPerDay;
    await this.database.transaction(async (m) => {
      await this.feed.lock(m, [requesterId]);
      const recent = await m.find(ManagementLookupEntity, { select: { id: true, at: true }, where: { requesterId, at: MoreThan(new Date(now.getTime() - DAY_MS)) }, order: { at: 'DESC' }, take: max });
      if (recent.length >= max) {
        const frees = recent[max - 1]!.at.getTime() + DAY_MS;
        throw refusal(ErrorCode.RATE_LIMITED, refusalTexts.tooManyLookups, { params: { max }, extensions: { retryAfterSeconds: Math.max(1, Math.ceil((frees - now.getTime()) / 1000)) } });
      }
      await m.insert(ManagementLookupEntity, { requesterId, at: now });
    });
  }

  /** Requests in the last 24 hours: by this requester, and to this number from anybody. */
  private async assertWithinLimits(m: EntityManager, requesterId: string, msisdn: string, now: Date): Promise<void> {
    const since = new Date(now.getTime() - DAY_MS);
    const limits = [
      { where: { requesterId, createdAt: MoreThan(since) }, max: this.settings.requestsPerRequesterPerDay, texts: refusalTexts.tooManyByRequester },
      { where: { ownerMsisdn: msisdn, createdAt: MoreThan(since) }, max: this.settings.requestsPerOwnerPerDay, texts: refusalTexts.tooManyForOwner },
    ];
    for (const limit of limits) {
      const recent = await m.find(ManagementRequestEntity, { select: { id: true, createdAt: true }, where: limit.where, order: { createdAt: 'DESC' }, take: limit.max });
      if (recent.length < limit.max) continue;
      const frees = recent[limit.max - 1]!.createdAt.getTime() + DAY_MS;
      throw refusal(ErrorCode.RATE_LIMITED, limit.texts, {
        params: { max: limit.max },
        extensions: { retryAfterSeconds: Math.max(1, Math.ceil((frees - now.getTime()) / 1000)) },
      });
    }
  }

  // ───────────── 5.6.4-5.6.5 and 5.1: the owner's answer ─────────────

  /**
   * terms 5.6.4-5.6.5: an SMS the SMS centre received. Only a text to 4259 from the number a request names counts: the
   * right code (spaces and case aside) confirms that request; any other text is a wrong attempt at each request of the
   * sender still awaiting a code (three void it). A message id is applied once, however often it is delivered.
   */
  async inboundSms(message: InboundSms): Promise<{ outcome: InboundOutcome; duplicate: boolean }> {
    const seen = await this.read((m) => m.findOne(InboundSmsEntity, { where: { id: message.id } }));
    if (seen) return { outcome: seen.outcome as InboundOutcome, duplicate: true };
    const now = this.clock.now();
    const sender = normalizeMsisdn(message.from);
    const to = message.to.replace(/[\s-]/g, '');
    let candidates: ManagementRequestEntity[] = [];
    let matched: ManagementRequestEntity | null = null;
    if (sender && to === SHORT_NUMBER) {
      candidates = await this.read((m) =>
        m.find(ManagementRequestEntity, { where: { ownerMsisdn: sender, status: ManagementStatus.AWAITING_CONFIRMATION, confirmationExpiresAt: MoreThan(now) }, order: { createdAt: 'ASC' } }),
      );
      // The text must be the code; anything longer is no attempt at one and costs no hash.
      if (message.text.length <= MAX_CODE_INPUT) {
        for (const candidate of candidates) {
          if (await codeMatches(message.text, candidate.confirmationCodeHash)) {
            matched = candidate;
            break;
          }
        }
      }
    }
    const activation = matched ? await this.newActivationCode() : null;

    try {
      const outcome = await this.database.transaction(async (m): Promise<{ outcome: InboundOutcome; requestId: string | null }> => {
        // First: a delivery of the same id racing this one waits here, then finds it taken (and applies nothing).
        await m.insert(InboundSmsEntity, { id: message.id, sender, outcome: 'IGNORED', requestId: null, receivedAt: now });
        const decide = async (): Promise<{ outcome: InboundOutcome; requestId: string | null }> => {
          if (!sender) return { outcome: 'IGNORED', requestId: null };
          if (to !== SHORT_NUMBER) return { outcome: 'NOT_FOR_US', requestId: null };
          if (matched && activation) {
            const row = await this.lockRow(m, matched.id);
            const stillAwaiting =
              row && row.status === ManagementStatus.AWAITING_CONFIRMATION && row.confirmationCodeHash === matched.confirmationCodeHash && this.effectiveStatus(row, now) === row.status;
            if (!row || !stillAwaiting) return { outcome: 'STALE', requestId: matched.id };
            await this.confirm(m, row, 'SMS', { id: row.ownerId, kind: 'SUBSCRIBER', channel: null }, activation);
            return { outcome: 'CONFIRMED', requestId: row.id };
          }
          if (candidates.length === 0) return { outcome: 'NO_REQUEST', requestId: null };
          let counted = 0;
          for (const candidate of candidates) {
            const row = await this.lockRow(m, candidate.id);
            if (!row || row.status !== ManagementStatus.AWAITING_CONFIRMATION) continue;
            counted += 1;
            await this.wrongConfirmationCode(m, row);
          }
          return { outcome: counted ? 'WRONG_CODE' : 'STALE', requestId: candidates.length === 1 ? candidates[0]!.id : null };
        };
        const decided = await decide();
        await m.update(InboundSmsEntity, { id: message.id }, { outcome: decided.outcome, requestId: decided.requestId });
        return decided;
      });
      this.logger.info({ smsId: message.id, outcome: outcome.outcome, requestId: outcome.requestId }, 'inbound SMS applied');
      return { outcome: outcome.outcome, duplicate: false };
    } catch (error) {
      if (!this.database.isDuplicateKey(error)) throw error;
      const stored = await this.read((m) => m.findOne(InboundSmsEntity, { where: { id: message.id } }));
      return { outcome: (stored?.outcome ?? 'IGNORED') as InboundOutcome, duplicate: true };
    }
  }

  /** terms 5.1: the owner confirms in the cabinet; as by SMS, the activation code goes to the owner by SMS (terms 5.6.5). */
  confirmInCabinet(ctx: GraphQLContext, id: string): Promise<ManagementRequestEntity> {
    return this.oneAtATime(id, () => this.confirmNow(ctx, id));
  }

  private async confirmNow(ctx: GraphQLContext, id: string): Promise<ManagementRequestEntity> {
    const caller = requireSubscriber(ctx);
    if (!isUuid(id)) throw refusal(ErrorCode.NOT_FOUND, undefined, { field: 'id' });
    // The activation code costs a hash: made only for the owner of a request awaiting confirmation, not for any caller.
    const before = await this.read((m) => m.findOne(ManagementRequestEntity, { where: { id } }));
    if (!before) throw refusal(ErrorCode.NOT_FOUND, undefined, { field: 'id' });
    this.assertParty(before, caller, ['owner']);
    const activation = before.status === ManagementStatus.AWAITING_CONFIRMATION ? await this.newActivationCode() : null;
    return this.decide(id, async (m, row, now) => {
      this.assertParty(row, caller, ['owner']);
      if (row.status === ManagementStatus.CONFIRMED && this.effectiveStatus(row, now) === row.status) return { row };
      if (row.status === ManagementStatus.AWAITING_CONFIRMATION && activation) {
        if (this.effectiveStatus(row, now) === ManagementStatus.EXPIRED) return { row: await this.expire(m, row), refusal: refusal(ErrorCode.CODE_EXPIRED) };
        await this.confirm(m, row, 'CABINET', { id: caller.subscriberId, kind: 'SUBSCRIBER', channel: caller.channel }, activation);
        return { row };
      }
      return this.wrongStatus(m, row, now);
    });
  }

  /** terms 5.1: the owner declines, before management was handed over (afterwards it is revoked, terms 4.4). */
  async reject(ctx: GraphQLContext, id: string): Promise<ManagementRequestEntity> {
    const caller = requireSubscriber(ctx);
    return this.decide(id, async (m, row, now) => {
      this.assertParty(row, caller, ['owner']);
      if (row.status === ManagementStatus.REJECTED) return { row };
      if (this.pending(row, now)) return { row: await this.end(m, row, ManagementStatus.REJECTED, this.subscriberActor(caller)) };
      return this.wrongStatus(m, row, now);
    });
  }

  /** The requester withdraws a request not yet active. */
  async cancel(ctx: GraphQLContext, id: string): Promise<ManagementRequestEntity> {
    const caller = requireSubscriber(ctx);
    return this.decide(id, async (m, row, now) => {
      this.assertParty(row, caller, ['requester']);
      if (row.status === ManagementStatus.CANCELLED) return { row };
      if (this.pending(row, now)) return { row: await this.end(m, row, ManagementStatus.CANCELLED, this.subscriberActor(caller)) };
      return this.wrongStatus(m, row, now);
    });
  }

  /**
   * terms 4.4: the owner ends the requester's management, or the requester gives it up; effective on the very next
   * request everywhere (AccessPolicy asks delegation every request) and for live subscriptions at once (the kit's
   * GrantWatch, woken by `ManagementRequestChanged`). On a request not active yet it is the requester's cancel or the
   * owner's rejection. Ending what has ended returns it as it is.
   */
  async revoke(ctx: GraphQLContext, id: string): Promise<ManagementRequestEntity> {
    const caller = requireSubscriber(ctx);
    return this.decide(id, async (m, row, now) => {
      const party = this.assertParty(row, caller, ['owner', 'requester']);
      if (row.status === ManagementStatus.ACTIVE) return { row: await this.end(m, row, ManagementStatus.REVOKED, this.subscriberActor(caller)) };
      if (this.pending(row, now)) return { row: await this.end(m, row, party === 'owner' ? ManagementStatus.REJECTED : ManagementStatus.CANCELLED, this.subscriberActor(caller)) };
      if (this.effectiveStatus(row, now) !== row.status) return { row: await this.expire(m, row) };
      return { row };
    });
  }

  // ───────────── 5.6.6-5.6.8: activation ─────────────

  /**
   * terms 5.6.7: the requester enters the activation code the owner gave them. Valid 24 hours (CODE_EXPIRED after);
   * each wrong entry counts, one by one under the row lock however many arrive together — aliases of one request or
   * requests at once — and the third in a row voids the code (CODE_VOIDED, the request VOIDED); else CODE_INVALID
   * with `attemptsLeft`. The right code hands management over (ACTIVE, terms 4.3) and tells the owner by SMS (terms 5.6.8).
   */
  async activate(ctx: GraphQLContext, id: string, input: string): Promise<ManagementRequestEntity> {
    requireSubscriber(ctx);
    if (normalizeCode(input).length === 0 || input.length > MAX_CODE_INPUT) throw refusal(ErrorCode.BAD_USER_INPUT, refusalTexts.codeTooLong, { field: 'activationCode' });
    if (!isUuid(id)) throw refusal(ErrorCode.NOT_FOUND, undefined, { field: 'requestId' });
    return this.oneAtATime(id, () => this.activateNow(ctx, id, input));
  }

  private async activateNow(ctx: GraphQLContext, id: string, input: string): Promise<ManagementRequestEntity> {
    const caller = requireSubscriber(ctx);
    const now = this.clock.now();
    const before = await this.read((m) => m.findOne(ManagementRequestEntity, { where: { id } }));
    if (!before) throw refusal(ErrorCode.NOT_FOUND, undefined, { field: 'requestId' });
    this.assertParty(before, caller, ['requester']);
    // Hashing only while an attempt can count: a voided, expired or active request refuses (or answers) at once.
    const checkable = before.status === ManagementStatus.CONFIRMED && (before.activationAttemptsLeft ?? 0) > 0 && this.effectiveStatus(before, now) === before.status;
    const right = checkable && (await codeMatches(input, before.activationCodeHash));
    return this.decide(id, async (m, row, at) => {
      this.assertParty(row, caller, ['requester']);
      switch (row.status) {
        case ManagementStatus.ACTIVE:
          return { row };
        case ManagementStatus.VOIDED:
          return { row, refusal: refusal(ErrorCode.CODE_VOIDED) };
        case ManagementStatus.EXPIRED:
          return { row, refusal: refusal(ErrorCode.CODE_EXPIRED) };
        case ManagementStatus.CONFIRMED: {
          if (this.effectiveStatus(row, at) === ManagementStatus.EXPIRED) return { row: await this.expire(m, row), refusal: refusal(ErrorCode.CODE_EXPIRED) };
          if (right && row.activationCodeHash === before.activationCodeHash) return { row: await this.handOver(m, row, caller) };
          const left = (row.activationAttemptsLeft ?? MAX_ATTEMPTS) - 1;
          await this.history(m, row, 'ACTIVATION_CODE_WRONG', this.subscriberActor(caller), { attemptsLeft: Math.max(left, 0) });
          if (left <= 0) return { row: await this.end(m, row, ManagementStatus.VOIDED, { id: null, kind: 'SYSTEM', channel: null }), refusal: refusal(ErrorCode.CODE_VOIDED) };
          await m.update(ManagementRequestEntity, { id: row.id }, { activationAttemptsLeft: left, updatedAt: at });
          row.activationAttemptsLeft = left;
          return {
            row,
            refusal: refusal(ErrorCode.CODE_INVALID, refusalTexts.codeInvalid, { params: { attemptsLeft: left }, extensions: { attemptsLeft: left }, field: 'activationCode' }),
          };
        }
        default:
          return this.wrongStatus(m, row, at);
      }
    });
  }

  // ───────────── the scheduled job and identity's events ─────────────

  /** Ends what ran out of time: unconfirmed requests and unused activation codes (terms 5.6: 24 hours). */
  async expireDue(limit = 100): Promise<number> {
    const now = this.clock.now();
    const due = await this.read((m) =>
      m.find(ManagementRequestEntity, {
        select: { id: true },
        where: [
          { status: ManagementStatus.AWAITING_CONFIRMATION, confirmationExpiresAt: LessThanOrEqual(now) },
          { status: ManagementStatus.CONFIRMED, activationExpiresAt: LessThanOrEqual(now) },
        ],
        order: { createdAt: 'ASC' },
        take: limit,
      }),
    );
    let expired = 0;
    for (const { id } of due) {
      // One transaction each: replicas running the job at once take turns on the row, and the second finds it ended.
      const ended = await this.database.transaction(async (m) => {
        const row = await this.lockRow(m, id);
        if (!row || this.effectiveStatus(row, this.clock.now()) !== ManagementStatus.EXPIRED || row.status === ManagementStatus.EXPIRED) return false;
        await this.expire(m, row);
        return true;
      });
      if (ended) expired += 1;
    }
    return expired;
  }

  /**
   * Forgets what only guarded against repeats: look-ups past their day, and inbound SMS ids long past any redelivery
   * (the SMS centre retries for hours, not weeks).
   */
  async housekeeping(): Promise<void> {
    const now = this.clock.now().getTime();
    await this.database.transaction(async (m) => {
      await m.delete(ManagementLookupEntity, { at: LessThanOrEqual(new Date(now - 2 * DAY_MS)) });
      await m.delete(InboundSmsEntity, { receivedAt: LessThanOrEqual(new Date(now - INBOUND_KEPT_DAYS * DAY_MS)) });
    });
  }

  /** A number named by a request before identity knew it gets its owner when it is provisioned (terms 5.1). */
  async linkOwner(m: EntityManager, subscriberId: string, msisdn: string, language: string | undefined): Promise<number> {
    const rows = await m.find(ManagementRequestEntity, {
      where: { ownerMsisdn: msisdn, ownerId: IsNull(), status: In([ManagementStatus.AWAITING_CONFIRMATION, ManagementStatus.CONFIRMED]) },
      lock: this.database.lockMode,
    });
    const now = this.clock.now();
    for (const row of rows) {
      await m.update(ManagementRequestEntity, { id: row.id }, { ownerId: subscriberId, ...(language ? { ownerLanguage: language } : {}), updatedAt: now });
      row.ownerId = subscriberId;
      await this.history(m, row, 'OWNER_LINKED', { id: null, kind: 'SYSTEM', channel: null });
      await this.feed.append(m, [{ subscriberId, kind: FeedKind.RECEIVED, requestId: row.id, status: row.status }], now);
      await this.changed(m, row, row.status);
    }
    return rows.length;
  }

  /**
   * terms 3.3: access ends with the contract — also the access others had through it. A party's contract ended: their
   * grants and open requests end with it (management REVOKED, the rest CANCELLED), told in the cabinet, not by SMS
   * (the number may soon be somebody else's).
   */
  async contractEnded(m: EntityManager, subscriberId: string): Promise<number> {
    const rows = await m.find(ManagementRequestEntity, {
      select: { id: true },
      where: [
        { ownerId: subscriberId, openKey: Not(IsNull()) },
        { requesterId: subscriberId, openKey: Not(IsNull()) },
      ],
      order: { createdAt: 'ASC' },
    });
    let ended = 0;
    for (const { id } of rows) {
      const row = await this.lockRow(m, id);
      if (!row || !row.openKey) continue;
      const status = row.status === ManagementStatus.ACTIVE ? ManagementStatus.REVOKED : ManagementStatus.CANCELLED;
      await this.end(m, row, status, { id: null, kind: 'SYSTEM', channel: null }, { sms: false });
      ended += 1;
    }
    return ended;
  }

  /** The languages the parties of open requests are told in follow identity's setting. */
  async languageChanged(m: EntityManager, subscriberId: string, language: string): Promise<void> {
    await m.update(ManagementRequestEntity, { ownerId: subscriberId, openKey: Not(IsNull()) }, { ownerLanguage: language });
    await m.update(ManagementRequestEntity, { requesterId: subscriberId, openKey: Not(IsNull()) }, { requesterLanguage: language });
  }

  /**
   * The status a reader sees: a code whose time ran out is EXPIRED even before a write records it
   * (terms 5.6: the activation code is valid 24 hours).
   */
  effectiveStatus(row: ManagementRequestEntity, now: Date): ManagementStatus {
    if (row.status === ManagementStatus.AWAITING_CONFIRMATION && row.confirmationExpiresAt && row.confirmationExpiresAt <= now) return ManagementStatus.EXPIRED;
    if (row.status === ManagementStatus.CONFIRMED && row.activationExpiresAt && row.activationExpiresAt <= now) return ManagementStatus.EXPIRED;
    return row.status;
  }

  // ───────────── transitions ─────────────

  /** terms 5.5: the owner accepted the offer — by SMS to 4259 or in the cabinet; the activation code goes to the owner (terms 5.6.5). */
  private async confirm(m: EntityManager, row: ManagementRequestEntity, via: 'SMS' | 'CABINET', actor: Actor, activation: { code: string; hash: string }): Promise<void> {
    const now = this.clock.now();
    await this.transition(m, row, ManagementStatus.CONFIRMED, {
      confirmedAt: now,
      confirmedVia: via,
      confirmationCodeHash: null,
      activationCodeHash: activation.hash,
      activationExpiresAt: new Date(now.getTime() + this.settings.activationTtlSeconds * 1000),
      activationAttemptsLeft: MAX_ATTEMPTS,
    });
    await this.history(m, row, 'OFFER_ACCEPTED', actor, { offerVersion: row.offerVersion, via });
    await this.sms(m, row, 'owner', smsTexts.activationCode, { code: activation.code });
    await this.notice(m, row, 'requester', 'confirmed', noticeTexts.confirmed, 'CABINET');
    await this.activity(m, row, 'owner', 'MANAGEMENT_CONFIRMED', actor, via === 'SMS' ? activityTexts.confirmedBySms : activityTexts.confirmedInCabinet);
  }

  /** terms 5.6.7-5.6.8: management is handed over; the owner is told by SMS. */
  private async handOver(m: EntityManager, row: ManagementRequestEntity, caller: SubscriberCaller): Promise<ManagementRequestEntity> {
    await this.transition(m, row, ManagementStatus.ACTIVE, { activatedAt: this.clock.now(), activationCodeHash: null, activationAttemptsLeft: null });
    const actor = this.subscriberActor(caller);
    await this.history(m, row, 'ACTIVATED', actor);
    await this.sms(m, row, 'owner', smsTexts.handedOver);
    await this.notice(m, row, 'owner', 'handed-over', noticeTexts.handedOverOwner, 'CABINET');
    await this.notice(m, row, 'requester', 'handed-over', noticeTexts.handedOverRequester, 'CABINET');
    await this.activity(m, row, 'owner', 'MANAGEMENT_HANDED_OVER', actor, activityTexts.handedOver);
    await this.activity(m, row, 'requester', 'MANAGEMENT_ACTIVATED', actor, activityTexts.activated);
    return row;
  }

  private async wrongConfirmationCode(m: EntityManager, row: ManagementRequestEntity): Promise<void> {
    const failures = row.confirmationFailures + 1;
    const system: Actor = { id: null, kind: 'SYSTEM', channel: null };
    await this.history(m, row, 'CONFIRMATION_CODE_WRONG', { id: row.ownerId, kind: 'SUBSCRIBER', channel: null }, { failures });
    if (failures >= MAX_ATTEMPTS) {
      await m.update(ManagementRequestEntity, { id: row.id }, { confirmationFailures: failures });
      row.confirmationFailures = failures;
      await this.end(m, row, ManagementStatus.VOIDED, system);
      return;
    }
    await m.update(ManagementRequestEntity, { id: row.id }, { confirmationFailures: failures, updatedAt: this.clock.now() });
    row.confirmationFailures = failures;
  }

  private async expire(m: EntityManager, row: ManagementRequestEntity): Promise<ManagementRequestEntity> {
    return this.end(m, row, ManagementStatus.EXPIRED, { id: null, kind: 'SYSTEM', channel: null });
  }

  /** Any end: rejected, cancelled, revoked (terms 4.4), voided, expired. Codes and the open slot go with it. */
  private async end(m: EntityManager, row: ManagementRequestEntity, status: ManagementStatus, actor: Actor, options: { sms: boolean } = { sms: true }): Promise<ManagementRequestEntity> {
    const wasActive = row.status === ManagementStatus.ACTIVE;
    await this.transition(m, row, status, {
      openKey: null,
      confirmationCodeHash: null,
      activationCodeHash: null,
      activationAttemptsLeft: null,
      endedAt: this.clock.now(),
      endedBy: actor.id,
    });
    await this.history(m, row, status, actor);
    switch (status) {
      case ManagementStatus.REJECTED:
        await this.notice(m, row, 'requester', 'rejected', noticeTexts.rejected, 'CABINET');
        await this.activity(m, row, 'owner', 'MANAGEMENT_REJECTED', actor, activityTexts.rejected);
        break;
      case ManagementStatus.CANCELLED:
        await this.notice(m, row, 'owner', 'cancelled', noticeTexts.cancelled, 'CABINET');
        await this.activity(m, row, 'requester', 'MANAGEMENT_CANCELLED', actor, activityTexts.cancelled);
        break;
      case ManagementStatus.REVOKED:
        // terms 4.4: both sides are told — by SMS (it is their number's access) and in the cabinet.
        if (wasActive) {
          if (options.sms) {
            await this.sms(m, row, 'owner', smsTexts.revokedOwner);
            await this.sms(m, row, 'requester', smsTexts.revokedRequester);
          }
          await this.notice(m, row, 'owner', 'revoked', noticeTexts.revokedOwner, 'CABINET');
          await this.notice(m, row, 'requester', 'revoked', noticeTexts.revokedRequester, 'CABINET');
        }
        await this.activity(m, row, 'owner', 'MANAGEMENT_REVOKED', actor, activityTexts.revokedOfOwner);
        await this.activity(m, row, 'requester', 'MANAGEMENT_REVOKED', actor, activityTexts.revokedOfRequester);
        break;
      case ManagementStatus.VOIDED:
        await this.notice(m, row, 'requester', 'voided', noticeTexts.voided, 'CABINET');
        await this.activity(m, row, 'requester', 'MANAGEMENT_VOIDED', actor, activityTexts.voided);
        break;
      case ManagementStatus.EXPIRED:
        await this.notice(m, row, 'requester', 'expired', noticeTexts.expired, 'CABINET');
        await this.activity(m, row, 'requester', 'MANAGEMENT_EXPIRED', actor, activityTexts.expired);
        break;
      default:
        break;
    }
    return row;
  }

  /** The status change itself, the feeds of both parties and the event — in the caller's transaction. */
  private async transition(m: EntityManager, row: ManagementRequestEntity, status: ManagementStatus, patch: Partial<ManagementRequestEntity>): Promise<void> {
    const previous = row.status;
    const now = this.clock.now();
    await m.update(ManagementRequestEntity, { id: row.id }, { ...patch, status, updatedAt: now });
    Object.assign(row, patch, { status, updatedAt: now });
    const parties = [row.requesterId, ...(row.ownerId ? [row.ownerId] : [])];
    await this.feed.append(m, parties.map((subscriberId) => ({ subscriberId, kind: FeedKind.UPDATED, requestId: row.id, status })), now);
    await this.changed(m, row, previous);
  }

  private async changed(m: EntityManager, row: ManagementRequestEntity, previousStatus: ManagementStatus | null): Promise<void> {
    await this.outbox.add(m, 'ManagementRequestChanged', {
      requestId: row.id,
      requesterId: row.requesterId,
      ownerId: row.ownerId,
      ownerMsisdn: row.ownerMsisdn,
      status: row.status,
      previousStatus,
      at: this.clock.now().toISOString(),
    });
  }

  // ───────────── what the parties are told ─────────────

  private languageOf(row: ManagementRequestEntity, party: Party): Language {
    const value = party === 'owner' ? row.ownerLanguage : row.requesterLanguage;
    return value === Language.KK || value === Language.EN ? value : Language.RU;
  }

  /** The parties' numbers as texts name them, per language (a home-internet requester has no number). */
  private params(row: ManagementRequestEntity, language: Language, extra: Record<string, string | number> = {}): Record<string, string | number> {
    return { requester: row.requesterMsisdn ?? someSubscriber[language], owner: row.ownerMsisdn, ...extra };
  }

  private perLanguage(row: ManagementRequestEntity, texts: Texts, extra?: Record<string, string | number>): Texts {
    return {
      KK: interpolate(texts.KK, this.params(row, Language.KK, extra)),
      RU: interpolate(texts.RU, this.params(row, Language.RU, extra)),
      EN: interpolate(texts.EN, this.params(row, Language.EN, extra)),
    };
  }

  /** A procedural SMS (codes, terms 5.6.3/5.6.5/5.6.8, 4.4): to the number itself, whatever its preferences. */
  private async sms(m: EntityManager, row: ManagementRequestEntity, party: Party, texts: Texts, extra?: Record<string, string | number>): Promise<void> {
    const to = party === 'owner' ? row.ownerMsisdn : row.requesterMsisdn;
    if (!to) return;
    await this.notifications.sms(m, { to, language: this.languageOf(row, party), texts: this.perLanguage(row, texts, extra) });
  }

  /** A notice identity delivers in the cabinet (and, with PREFERENCES, by e-mail / SMS as the subscriber chose). */
  private async notice(m: EntityManager, row: ManagementRequestEntity, party: Party, what: string, texts: { title: Texts; body: Texts }, delivery: 'PREFERENCES' | 'CABINET'): Promise<void> {
    const subscriberId = party === 'owner' ? row.ownerId : row.requesterId;
    if (!subscriberId) return;
    const title = this.perLanguage(row, texts.title);
    const body = this.perLanguage(row, texts.body);
    await this.outbox.add(m, 'SubscriberNotificationRequested', {
      subscriberId,
      key: `management:${row.id}:${what}:${party}`,
      texts: { KK: { title: title.KK, body: body.KK }, RU: { title: title.RU, body: body.RU }, EN: { title: title.EN, body: body.EN } },
      delivery,
    });
  }

  /** terms 2.4: the action on the record of the owner's or the requester's number. */
  private async activity(m: EntityManager, row: ManagementRequestEntity, party: Party, action: string, actor: Actor, texts: Texts): Promise<void> {
    const subscriberId = party === 'owner' ? row.ownerId : row.requesterId;
    if (!subscriberId) return;
    const detailTexts = this.perLanguage(row, texts);
    await this.outbox.add(m, 'ActivityRecorded', {
      subscriberId,
      actorId: actor.id,
      actorKind: actor.kind,
      // Delegation's actions are each party's own: the owner's answer, the requester's request — never via management.
      viaManagement: false,
      channel: actor.channel,
      action,
      details: detailTexts.EN,
      detailTexts,
      at: this.clock.now().toISOString(),
    });
  }

  /** The request's own history (terms 5.4, 5.5: the offer and its acceptance among the rest). */
  private async history(m: EntityManager, row: ManagementRequestEntity, type: string, actor: Actor, details?: Record<string, unknown>): Promise<void> {
    await m.insert(ManagementRequestEventEntity, {
      requestId: row.id,
      type,
      actorId: actor.id,
      channel: actor.channel,
      details: details ? JSON.stringify(details) : null,
      at: this.clock.now(),
    });
  }

  // ───────────── helpers ─────────────

  /**
   * Entries for one request are taken one after another in this process: a code costs a hash, and a thousand entries
   * at once would otherwise cost a thousand hashes before the first three void the code. Queued ones find it void and
   * hash nothing. (Across replicas the row lock still counts every entry; each replica hashes one at a time.)
   */
  private oneAtATime<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.perRequest.get(id) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.perRequest.set(id, settled);
    void settled.then(() => {
      if (this.perRequest.get(id) === settled) this.perRequest.delete(id);
    });
    return run;
  }

  private subscriberActor(caller: SubscriberCaller): Actor {
    return { id: caller.subscriberId, kind: 'SUBSCRIBER', channel: caller.channel };
  }

  private async newActivationCode(): Promise<{ code: string; hash: string }> {
    const code = newCode();
    return { code, hash: await hashCode(code) };
  }

  private pending(row: ManagementRequestEntity, now: Date): boolean {
    return (row.status === ManagementStatus.AWAITING_CONFIRMATION || row.status === ManagementStatus.CONFIRMED) && this.effectiveStatus(row, now) === row.status;
  }

  /** Which party the caller is, if one of `allowed`; anybody else is FORBIDDEN (terms 2.5) — a manager of the owner too. */
  private assertParty(row: ManagementRequestEntity, caller: SubscriberCaller, allowed: Party[]): Party {
    if (allowed.includes('owner') && row.ownerId === caller.subscriberId) return 'owner';
    if (allowed.includes('requester') && row.requesterId === caller.subscriberId) return 'requester';
    throw refusal(ErrorCode.FORBIDDEN);
  }

  /** A request that ran out of time is recorded EXPIRED (and the refusal says so); otherwise the status forbids it. */
  private async wrongStatus(m: EntityManager, row: ManagementRequestEntity, now: Date): Promise<Outcome> {
    if (this.effectiveStatus(row, now) !== row.status) return { row: await this.expire(m, row), refusal: refusal(ErrorCode.CODE_EXPIRED) };
    if (row.status === ManagementStatus.VOIDED) return { row, refusal: refusal(ErrorCode.CODE_VOIDED) };
    return { row, refusal: refusal(ErrorCode.CONFLICT, refusalTexts.wrongStatus, { params: { status: row.status }, extensions: { status: row.status } }) };
  }

  private lockRow(m: EntityManager, id: string): Promise<ManagementRequestEntity | null> {
    return m.findOne(ManagementRequestEntity, { where: { id }, lock: this.database.lockMode });
  }

  /**
   * One decision on one request under its row lock. What the decision wrote commits even when the caller is refused
   * (a counted wrong code, an expiry), so the refusal is thrown after the commit.
   */
  private async decide(id: string, work: (m: EntityManager, row: ManagementRequestEntity, now: Date) => Promise<Outcome>): Promise<ManagementRequestEntity> {
    if (!isUuid(id)) throw refusal(ErrorCode.NOT_FOUND, undefined, { field: 'id' });
    const outcome = await this.database.transaction(async (m) => {
      const row = await this.lockRow(m, id);
      if (!row) throw refusal(ErrorCode.NOT_FOUND, undefined, { field: 'id' });
      return work(m, row, this.clock.now());
    });
    if (outcome.refusal) throw outcome.refusal;
    return outcome.row;
  }

  /** On SQLite a read outside `transaction()` could see a change still open (one shared connection). */
  private read<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.database.dialect === 'sqlite' ? this.database.transaction(work) : work(this.database.manager);
  }

}
