export * from './signature.js';
export * from './webhook-url.js';
export * from './events.js';
export * from './delivery.js';
export * from './tenant-secrets.js';
export * from './address-policy.js';
export * from './guarded-transport.js';
