export * from './errors.js';
export { errorBodySchema, errorBody, type ErrorBody } from './error-body.js';
export { healthBodySchema, type HealthBody } from './health.js';
export { modelIdentitySchema, type ModelIdentity } from './model-identity.js';
export * from './endpoint.js';
export * from './was.js';
export * from './web.js';
export { checkContract, parseContract, describeIssues, ContractViolation, type ContractCheck } from './validate.js';
export { jsonSchemaOf } from './json-schema.js';
