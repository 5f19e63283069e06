import type { CompileSettings } from '../compile/compile.js';

/** Fixed settings for the flower pipeline's golden file and the remote tests (no real account). */
export const TEST_SETTINGS: CompileSettings = {
  'role-arn': 'arn:aws:iam::123456789012:role/petal-sagemaker',
  'training-image': '123456789012.dkr.ecr.us-east-1.amazonaws.com/petal-training:test',
  'evaluation-image': '123456789012.dkr.ecr.us-east-1.amazonaws.com/petal-evaluation:test',
  'serving-image': '123456789012.dkr.ecr.us-east-1.amazonaws.com/petal-endpoint:test',
  'deploy-function-arn': 'arn:aws:lambda:us-east-1:123456789012:function:petal-deploy',
  'artifact-s3-uri': 's3://petal-artifacts/pipeline',
};
