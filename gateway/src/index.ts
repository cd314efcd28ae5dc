export * from './gateway-server';
export * from './system';
export * from './compose';
export * from './dev/sms-centre';
export * from './dev/mail-sink';
export * from './subscription-settings';
export { SOCKET_REFUSED } from './subscriptions';
export type { OperationLimits } from './subscriptions';
