import { AutopayEntity } from '../autopay/entities';
import { LineEntity, TransferAttemptEntity, TransferEntity } from '../transfers/entities';
import { TrustPaymentEntity } from '../trust/entities';
import { PaymentEntity, PaymentWebhookEventEntity } from './entities';

/** The tables of payments, autopay, trust payments, transfers and billing's view of the lines. */
export const paymentsEntities = [PaymentEntity, PaymentWebhookEventEntity, AutopayEntity, TrustPaymentEntity, TransferEntity, TransferAttemptEntity, LineEntity];
