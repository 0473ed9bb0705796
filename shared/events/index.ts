export * from './fc-event.js';
export * from './timer.js';
export * from './cloudevent.js';
export * from './renewal.js';
export * from './middleware.js';
