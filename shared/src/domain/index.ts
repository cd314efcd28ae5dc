export * from './msisdn';
export * from './money';
export * from './demo';
export * from './almaty-calendar';
export * from './uuid';
