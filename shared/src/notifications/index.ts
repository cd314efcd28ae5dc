export * from './types';
export * from './notifications';
export * from './sms-transport';
export * from './email-transport';
