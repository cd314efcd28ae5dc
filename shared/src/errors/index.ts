export * from './error-code';
export * from './domain-error';
export * from './messages';
export * from './format-error';
export * from './storage-unavailable';
