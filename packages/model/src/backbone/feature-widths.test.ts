import { describe, expect, it } from 'vitest';
import { featureWidthsOf } from './feature-widths.js';
import { onnx, valueInfo } from './onnx-proto.js';

const f32 = (name: string, dims: number[]) => ({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: new Array(dims.reduce((a, b) => a * b, 1)).fill(0.5) });

/** input → [Conv(2 ch) → Clip → ReduceMean, Conv(3 ch) → ReduceMean] → Concat → Identity `features`. */
function graph(opts: { concat: boolean }): Uint8Array {
  const nodes = [
    { opType: 'Conv', input: ['input', 'a/W'], output: ['a'] },
    { opType: 'Clip', input: ['a'], output: ['a_relu'] },
    { opType: 'ReduceMean', input: ['a_relu'], output: ['a_relu/pool'], attribute: [{ name: 'axes', ints: [2, 3], type: onnx.AttributeProto.AttributeType.INTS }] },
    { opType: 'Conv', input: ['input', 'b/W'], output: ['b'] },
    { opType: 'ReduceMean', input: ['b'], output: ['b/pool'], attribute: [{ name: 'axes', ints: [2, 3], type: onnx.AttributeProto.AttributeType.INTS }] },
    opts.concat
      ? { opType: 'Concat', input: ['a_relu/pool', 'b/pool'], output: ['features/concat'], attribute: [{ name: 'axis', i: 1, type: onnx.AttributeProto.AttributeType.INT }] }
      : { opType: 'Add', input: ['a_relu/pool', 'a_relu/pool'], output: ['features/concat'] },
    { opType: 'Identity', input: ['features/concat'], output: ['features'] },
  ];
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'widths',
      node: nodes,
      initializer: [f32('a/W', [2, 3, 1, 1]), f32('b/W', [3, 3, 1, 1])],
      input: [valueInfo('input', ['N', 3, 4, 4])],
      output: [valueInfo('features', ['N', opts.concat ? 5 : 2])],
    },
  }).finish();
}

describe('featureWidthsOf', () => {
  it('reads each pooled layer’s channels from the convolution under it, in feature order', () => {
    expect(featureWidthsOf(graph({ concat: true }), 5)).toEqual([2, 3]);
  });

  it('says nothing (one layer) for a graph of another shape or when the widths do not add up', () => {
    expect(featureWidthsOf(graph({ concat: false }), 2)).toBeUndefined();
    expect(featureWidthsOf(graph({ concat: true }), 6)).toBeUndefined();
  });
});
