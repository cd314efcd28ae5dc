export * from './types';
export * from './outbox';
export * from './relay';
export * from './consumer';
export * from './in-process-bus';
export * from './redis-bus';
export * from './feed-wakeups';
export * from './redis-wakeup-channel';
