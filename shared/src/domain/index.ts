export * from './msisdn';
export * from './money';
