/**
 * A small builder over the `onnx-proto` (protobufjs) message classes: nodes, initializers, typed
 * attributes and value infos, serialised to ONNX model bytes.
 */
import { onnx, valueInfo } from '@petal/model/onnx-proto';
import type * as OnnxProtoModule from 'onnx-proto';

// The protobuf classes and value-info helper come from the runtime, which appends heads to these graphs.
export { valueInfo };

/** The opset the converter targets (ReduceMean with an `axes` attribute, Clip with min/max inputs). */
export const OPSET = 13;
const IR_VERSION = 7;

export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string };

export const int = (value: number): Attr => ({ kind: 'int', value });
export const ints = (value: number[]): Attr => ({ kind: 'ints', value });
export const float = (value: number): Attr => ({ kind: 'float', value });

function toAttribute(name: string, attr: Attr): OnnxProtoModule.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (attr.kind) {
    case 'int':
      return { name, type: T.INT, i: attr.value };
    case 'ints':
      return { name, type: T.INTS, ints: attr.value };
    case 'float':
      return { name, type: T.FLOAT, f: attr.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(attr.value) };
  }
}

export class OnnxGraphBuilder {
  readonly nodes: OnnxProtoModule.onnx.INodeProto[] = [];
  readonly initializers: OnnxProtoModule.onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();

  /** A tensor name not used yet, derived from `base`. */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  floatTensor(base: string, dims: number[], values: Float32Array): string {
    const name = this.fresh(base);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes.slice() });
    return name;
  }

  int64Tensor(base: string, dims: number[], values: number[]): string {
    const name = this.fresh(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  node(opType: string, inputs: string[], outputBase: string, attrs: Record<string, Attr> = {}): string {
    const output = this.fresh(outputBase);
    this.nodes.push({
      opType,
      name: output,
      input: inputs,
      output: [output],
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return output;
  }

  /** Claim graph output names before any node is made, so internal tensors never take them. */
  reserveOutput(name: string): void {
    if (this.used.has(name)) throw new Error(`tensor name ${name} is taken`);
    this.used.add(name);
    this.outputNames.add(name);
  }
  private readonly outputNames = new Set<string>();

  /** Route `from` to the reserved graph output `name` (an Identity node, so the name is exactly `name`). */
  alias(from: string, name: string): void {
    if (!this.outputNames.delete(name)) throw new Error(`output name ${name} was not reserved or is already bound`);
    this.nodes.push({ opType: 'Identity', name, input: [from], output: [name] });
  }

  toBytes(opts: {
    name: string;
    inputs: OnnxProtoModule.onnx.IValueInfoProto[];
    outputs: OnnxProtoModule.onnx.IValueInfoProto[];
    docString?: string;
    metadata?: Record<string, string>;
  }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: '@petal/model-convert',
      opsetImport: [{ domain: '', version: OPSET }],
      docString: opts.docString ?? '',
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: opts.name,
        node: this.nodes,
        initializer: this.initializers,
        input: opts.inputs,
        output: opts.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
