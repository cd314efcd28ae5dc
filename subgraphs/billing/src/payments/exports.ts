/** What billing's package exports of payments (launchers, tests). */
export * from './config';
export * from './entities';
export { PaymentService } from './payment-service';
export type { PaymentsModule } from './module';
export { CardProviderClient } from './provider';
export { PaymentReconciler } from './reconciler';
export { WEBHOOK_PATH, verifyWebhookSignature } from './webhook';
export { amountToMinor } from './amount';
export * from '../autopay/entities';
export * from '../trust/entities';
export * from '../transfers/entities';
