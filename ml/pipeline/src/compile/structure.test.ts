import { describe, expect, it } from 'vitest';
import { flowerPipeline } from '../flower-pipeline.js';
import { compilePipeline } from './compile.js';
import type { Json } from './render.js';
import { checkCompiledDefinition } from './structure.js';

const document = (steps: Json[], parameters: Json[] = [{ Name: 'MyInt', Type: 'Integer' }]): Json => ({ Version: '2020-12-01', Metadata: {}, Parameters: parameters, Steps: steps });
const step = (name: string, args: Json, extra: Record<string, Json> = {}): Json => ({ Name: name, Type: 'Processing', Arguments: args, ...extra });

describe('checkCompiledDefinition', () => {
  it('passes the compiled flower pipeline, with and without settings', () => {
    expect(checkCompiledDefinition(compilePipeline(flowerPipeline).definition)).toEqual([]);
  });

  it('passes references to declared parameters, steps, property files and execution variables', () => {
    const doc = document([
      step('A', { x: { Get: 'Parameters.MyInt' } }, { PropertyFiles: [{ PropertyFileName: 'Report', OutputName: 'o', FilePath: 'r.json' }] }),
      step('B', {
        y: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.A.PropertyFiles.Report' }, Path: 'a.b' } },
        z: { Get: 'Execution.PipelineExecutionId' },
      }),
    ]);
    expect(checkCompiledDefinition(doc)).toEqual([]);
  });

  it.each([
    ['an undeclared parameter', document([step('A', { x: { Get: 'Parameters.Missing' } })]), 'step A: Get Parameters.Missing names no declared parameter'],
    ['an undeclared step', document([step('A', { x: { Get: 'Steps.B.ProcessingJobName' } })]), 'step A: Get Steps.B.ProcessingJobName names no declared step'],
    [
      'an undeclared property file',
      document([step('A', {}), step('B', { y: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.A.PropertyFiles.Report' }, Path: 'a' } } })]),
      'step B: Get Steps.A.PropertyFiles.Report names no property file of A',
    ],
    ['an unknown execution variable', document([step('A', { x: { Get: 'Execution.Nope' } })]), 'step A: Get Execution.Nope names no execution variable'],
    ['a DependsOn to nowhere', document([step('A', {}, { DependsOn: ['Z'] })]), 'step A: DependsOn "Z" is not a step'],
    ['a duplicate step', document([step('A', {}), step('A', {})]), 'step A appears twice'],
    ['a DependsOn cycle', document([step('A', {}, { DependsOn: ['B'] }), step('B', {}, { DependsOn: ['A'] })]), 'steps form a cycle: A → B → A'],
    ['a reference cycle', document([step('A', { x: { Get: 'Steps.B.ProcessingJobName' } }), step('B', { x: { Get: 'Steps.A.ProcessingJobName' } })]), 'steps form a cycle: A → B → A'],
    [
      'a branch step reading its own condition downstream',
      document([{ Name: 'C', Type: 'Condition', Arguments: { Conditions: [{ Type: 'Equals', LeftValue: { Get: 'Steps.F.ProcessingJobName' }, RightValue: 1 }], IfSteps: [step('F', {})], ElseSteps: [] } }]),
      'steps form a cycle: C → F → C',
    ],
    ['a wrong version', { Version: '2023-01-01', Parameters: [], Steps: [] }, 'Version is "2023-01-01", not "2020-12-01"'],
  ])('finds %s', (_what, doc, message) => {
    expect(checkCompiledDefinition(doc)).toContain(message);
  });
});
