export * from './signature.js';
export * from './webhook-url.js';
export * from './events.js';
export * from './delivery.js';
