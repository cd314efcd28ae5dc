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
export { LineDirectory } from '../transfers/lines';
export { AfterCommit } from './after-commit';
// terms 2.11: each module's eraser (billing's index registers them; tests run them again to show they are idempotent).
export { linesEraser, transfersEraser } from '../transfers/erasure';
export { paymentsEraser } from './erasure';
export { cardsEraser } from '../cards/erasure';
export { autopayEraser } from '../autopay/erasure';
