export { samplePackage } from './sample.js';
