export * from './event.js';
export * from './response.js';
export * from './middlewares.js';
export * from './router.js';
