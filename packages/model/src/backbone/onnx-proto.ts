/**
 * The ONNX protobuf classes (from `onnx-proto`) and the one helper both graph writers need: the runtime
 * appends the head to a backbone graph (serving.ts) and @petal/model-convert builds backbone graphs,
 * which imports this module as `@petal/model/onnx-proto`.
 */
import { createRequire } from 'node:module';
import type * as OnnxProtoModule from 'onnx-proto';

// onnx-proto is CommonJS without named-export hints, so load it through require.
const { onnx } = createRequire(import.meta.url)('onnx-proto') as typeof OnnxProtoModule;
export { onnx };

export type Dim = number | string;

/** A float32 tensor's name and shape; string dims are symbolic (e.g. `N` for the batch). */
export function valueInfo(name: string, dims: Dim[]): OnnxProtoModule.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
