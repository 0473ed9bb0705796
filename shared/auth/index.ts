export * from './policy.js';
export * from './principal.js';
export * from './name-patterns.js';
export * from './decisions.js';
export * from './tokens.js';
export * from './audit.js';
