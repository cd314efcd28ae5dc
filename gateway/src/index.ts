export * from './gateway-server';
export * from './limits';
export * from './gateway-config';
export * from './system';
export * from './compose';
export * from './dev/sms-centre';
export * from './dev/mail-sink';
