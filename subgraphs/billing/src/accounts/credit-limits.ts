import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { ContractOutbox, Database, ErrorCode, GraphQLContext, RequireStaff, badInput, billingEvents, formatMinorUnits, parseAmount, requireStaff } from '@selfcare/shared';
import { BillingError } from '../errors';
import { AccountEntity } from './entities';
import type { LedgerService } from './ledger-service';
import { Account, toAccount } from './types';

/** 100 000 000 KZT. */
const MAX_CREDIT_LIMIT_MINOR = 10_000_000_000;

/**
 * Credit limits are data (terms 3.3: debt is a balance below minus the account's limit): staff set each account's,
 * new accounts start at BILLING_DEFAULT_CREDIT_LIMIT. Each change is in the number's activity record (terms 2.4).
 */
export function creditLimitResolvers(database: Database, ledger: LedgerService, outbox: ContractOutbox<typeof billingEvents>) {
  @Resolver()
  class CreditLimitResolver {
    @Mutation(() => Account, { description: 'Staff (terms 3.3): the account’s credit limit; debt is judged again at once' })
    @RequireStaff('OPERATOR')
    async setCreditLimit(@Arg('subscriberId', () => ID) subscriberId: string, @Arg('amount', () => String) amount: string, @Ctx() ctx: GraphQLContext): Promise<Account> {
      const staff = requireStaff(ctx);
      const limitMinor = parseAmount(amount);
      if (limitMinor === null || limitMinor < 0 || limitMinor > MAX_CREDIT_LIMIT_MINOR) {
        throw badInput('amount', { KK: 'Сома: 0 немесе оң, екі таңбаға дейін', RU: 'Сумма: 0 или больше, до двух знаков после точки', EN: 'An amount of 0 or more with up to two decimals' });
      }
      const account = await database.transaction(async (manager) => {
        const row = subscriberId.length <= 36 ? await manager.findOne(AccountEntity, { where: { subscriberId } }) : null;
        if (!row) throw new BillingError(ErrorCode.NOT_FOUND, { field: 'subscriberId', texts: { KK: 'Шот табылмады', RU: 'Счёт не найден', EN: 'Account not found' } });
        const { account: updated, previousMinor } = await ledger.setCreditLimit(manager, row.id, limitMinor);
        const from = formatMinorUnits(previousMinor);
        const to = formatMinorUnits(limitMinor);
        await outbox.add(manager, 'ActivityRecorded', {
          subscriberId,
          actorId: staff.staffId,
          actorKind: 'STAFF',
          viaManagement: false,
          channel: null,
          action: 'CREDIT_LIMIT_CHANGED',
          details: `Credit limit of account ${updated.number} changed from ${from} to ${to} KZT`,
          detailTexts: {
            KK: `${updated.number} шотының несие лимиті ${from} ₸-ден ${to} ₸-ге өзгертілді`,
            RU: `Кредитный лимит счёта ${updated.number} изменён с ${from} ₸ на ${to} ₸`,
            EN: `Credit limit of account ${updated.number} changed from ${from} to ${to} KZT`,
          },
        });
        return updated;
      });
      return toAccount(account);
    }
  }
  return [CreditLimitResolver] as const;
}
