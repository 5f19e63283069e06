export { buildApp, type BuildOptions } from './server/app.js';
export { loadWebConfig, webConfigSchema, type WebConfig } from './server/config.js';

