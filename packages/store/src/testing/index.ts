export { startS3Loopback, type S3Loopback } from './s3-loopback.js';
