/** Test support for the training and evaluation jobs: generated image sets, and the jobs run as processes. */
export { makeImageFolder, THREE_COLOURS } from './fixtures.js';
export { runJob, type JobRun } from './run-job.js';
