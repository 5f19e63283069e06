/**
 * The two matrix products a linear head's fitting repeats, run by ONNX Runtime (MLAS): logits = X·W and
 * gradient = Xᵀ·E. The training job's L-BFGS calls them once per objective evaluation; in plain
 * TypeScript they were nearly all of its time. One intra-op thread, so the sums are always taken in the
 * same order and a seed still gives bit-identical weights.
 */
import * as ort from 'onnxruntime-node';
import { createOrtSession } from './onnx-extractor.js';
import { onnx, valueInfo } from './onnx-proto.js';

export interface LinearKernels {
  /** x: rows×dim, w: dim×k → rows×k. */
  forward(x: Float32Array, rows: number, w: Float32Array): Promise<Float32Array>;
  /** x: rows×dim, e: rows×k → dim×k (xᵀ·e). */
  backward(x: Float32Array, rows: number, e: Float32Array): Promise<Float32Array>;
  dispose(): Promise<void>;
}

function graph(name: string, node: { opType: string; input: string[]; attribute?: Array<{ name: string; type: number; i: number }> }, inputs: Array<[string, Array<number | string>]>, output: [string, Array<number | string>]): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'petal',
    graph: {
      name,
      node: [{ opType: node.opType, input: node.input, output: [output[0]], name: output[0], attribute: node.attribute ?? [] }],
      input: inputs.map(([n, dims]) => valueInfo(n, dims)),
      output: [valueInfo(output[0], output[1])],
    },
  }).finish();
}

export async function createLinearKernels(dim: number, k: number): Promise<LinearKernels> {
  const forward = await createOrtSession(graph('forward', { opType: 'MatMul', input: ['x', 'w'] }, [['x', ['N', dim]], ['w', [dim, k]]], ['y', ['N', k]]), { intraOpThreads: 1 });
  const backward = await createOrtSession(
    graph('backward', { opType: 'Gemm', input: ['x', 'e'], attribute: [{ name: 'transA', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }, [['x', ['N', dim]], ['e', ['N', k]]], ['g', [dim, k]]),
    { intraOpThreads: 1 },
  );
  const run = async (session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, out: string): Promise<Float32Array> => {
    let results: ort.InferenceSession.ReturnType | undefined;
    try {
      results = await session.run(feeds, [out]);
      return (results[out]!.data as Float32Array).slice();
    } finally {
      for (const t of Object.values(feeds)) t.dispose();
      for (const v of Object.values(results ?? {})) v.dispose();
    }
  };
  return {
    forward: (x, rows, w) => run(forward, { x: new ort.Tensor('float32', x, [rows, dim]), w: new ort.Tensor('float32', w, [dim, k]) }, 'y'),
    backward: (x, rows, e) => run(backward, { x: new ort.Tensor('float32', x, [rows, dim]), e: new ort.Tensor('float32', e, [rows, k]) }, 'g'),
    async dispose() {
      await forward.release();
      await backward.release();
    },
  };
}
