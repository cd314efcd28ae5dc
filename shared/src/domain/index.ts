export * from './msisdn';
export * from './money';
export * from './demo';
