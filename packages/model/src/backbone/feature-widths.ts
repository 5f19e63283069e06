/**
 * How many of a backbone's features come from each of its feature layers, read from the prepared ONNX
 * graph. The training job needs it to weigh each layer alike in the out-of-scope score: the wide late
 * layers would otherwise outvote the earlier ones, which are the ones that tell flat colours, noise and
 * logos from photos of flowers (ml/training/README.md has the measurements).
 */
import type * as OnnxProtoModule from 'onnx-proto';
import { onnx } from './onnx-proto.js';
import { FEATURES_OUTPUT } from './spec.js';

type Node = OnnxProtoModule.onnx.INodeProto;

// Ops a pooled layer's value passes through on its way up from the convolution that sets its width.
const PASS_THROUGH = new Set(['Clip', 'Relu', 'Identity', 'BatchNormalization', 'Add', 'Mul', 'Sigmoid', 'HardSigmoid', 'HardSwish']);

/**
 * Channels of each pooled layer, in feature order, or undefined where the graph does not have the shape
 * the converter writes (`features` ← Concat of one ReduceMean per layer, each above a Conv): a
 * user-supplied ONNX backbone then counts as one layer.
 */
export function featureWidthsOf(model: Uint8Array, featureDim: number): number[] | undefined {
  const graph = onnx.ModelProto.decode(model).graph;
  if (!graph) return undefined;
  const producer = new Map<string, Node>();
  for (const node of graph.node ?? []) for (const out of node.output ?? []) producer.set(out, node);
  const dims = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', (t.dims ?? []).map(Number)]));

  let concat = producer.get(FEATURES_OUTPUT);
  while (concat?.opType === 'Identity') concat = producer.get(concat.input?.[0] ?? '');
  if (!concat) return undefined;
  const pools = concat.opType === 'Concat' ? (concat.input ?? []) : [FEATURES_OUTPUT];

  const widths: number[] = [];
  for (const pooled of pools) {
    const pool = producer.get(pooled);
    if (pool?.opType !== 'ReduceMean') return undefined;
    let node = producer.get(pool.input?.[0] ?? '');
    for (let hops = 0; node && node.opType !== 'Conv' && PASS_THROUGH.has(node.opType ?? '') && hops < 8; hops++) {
      node = producer.get(node.input?.[0] ?? '');
    }
    const weight = node?.opType === 'Conv' ? dims.get(node.input?.[1] ?? '') : undefined;
    if (!weight?.[0]) return undefined;
    widths.push(weight[0]);
  }
  return widths.reduce((a, b) => a + b, 0) === featureDim ? widths : undefined;
}
