import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, readConfig } from './config.js';

const node = (context: Record<string, unknown>) => ({ tryGetContext: (key: string) => context[key] });

describe('readConfig', () => {
  it('gives the documented defaults with no context', () => {
    expect(readConfig(node({}))).toEqual(DEFAULTS);
    expect(DEFAULTS).toMatchObject({ natGateways: 2, webDesiredCount: 2, wasDesiredCount: 2, endpointInstanceType: 'ml.m5.xlarge', serverless: false, source: 'codeconnections', ecsDeploy: 'rolling' });
  });

  it('reads command-line strings and cdk.json values alike', () => {
    const config = readConfig(node({ natGateways: '1', serverless: 'true', approvedModelVersion: 4, envName: 'prod', imageTag: '3f2a9c1' }));
    expect(config).toMatchObject({ natGateways: 1, serverless: true, approvedModelVersion: 4, envName: 'prod', imageTag: '3f2a9c1' });
  });

  it('refuses bad values, naming the key', () => {
    expect(() => readConfig(node({ natGateways: '3' }))).toThrow(new ConfigError('context natGateways=3: expected an integer from 1 to 2'));
    expect(() => readConfig(node({ serverless: 'yes please' }))).toThrow(/context serverless=yes please: expected true or false/);
    expect(() => readConfig(node({ source: 'svn' }))).toThrow(/expected one of codeconnections, codecommit/);
    expect(() => readConfig(node({ certificateArn: 'my-cert' }))).toThrow(/must be an ACM certificate ARN/);
    expect(() => readConfig(node({ minTasks: '5', maxTasks: '4' }))).toThrow(/minTasks=5 is above maxTasks=4/);
    expect(() => readConfig(node({ serverless: 'true', endpointInstanceCount: '2' }))).toThrow(/no meaning with serverless/);
    expect(() => readConfig(node({ envName: 'Prod_1' }))).toThrow(/envName/);
  });
});
