/**
 * TF.js / Keras layers model → ONNX graph, written for the layer set of MobileNet-style backbones.
 *
 * Layout: the graph takes NHWC (as TF.js does) and transposes to NCHW once at the input; everything
 * after runs NCHW, the layout ONNX convolutions are defined in. Convolutions absorb the BatchNormalization
 * that follows them and the ZeroPadding2D that precedes them, so MobileNetV2 becomes Conv/Clip/Add only.
 * Anything the converter does not understand is refused with the layer's name and class, never guessed.
 */
import { BackboneError, CONVERTER_VERSION, FEATURES_OUTPUT } from '@petal/model';
import { ancestorsOf, parseKerasTopology, type KerasGraph, type KerasLayer } from './keras-topology.js';
import { decodeWeights, type DecodedWeight, type LayersModelArtifacts } from './layers-model.js';
import { float, int, ints, OnnxGraphBuilder, valueInfo, type Attr } from './onnx-builder.js';

// The version this converter stamps on its graphs is CONVERTER_VERSION in @petal/model (the runtime
// accepts only cache entries of that version): bump it there when the generated graph changes.
export { CONVERTER_VERSION, FEATURES_OUTPUT };

export const INPUT_NAME = 'input';

export interface ConvertOptions {
  /** Layers to global-average-pool and concatenate into the `features` output [N, featureDim]. */
  featureLayers?: readonly string[];
  /** Also output each pooled feature layer as `pooled:<layer>`. */
  layerOutputs?: boolean;
  /** Also output the model's own outputs under their layer names (rank-4 ones back in NHWC). */
  modelOutputs?: boolean;
  /** Side of the input when the topology leaves the spatial size open. */
  inputSize?: number;
  /** Fold BatchNormalization into the preceding convolution where possible (default true). */
  foldBatchNorm?: boolean;
  /** Fold ZeroPadding2D into the following convolution's pads where possible (default true). */
  foldPadding?: boolean;
  metadata?: Record<string, string>;
}

export interface ConversionResult {
  onnx: Uint8Array;
  inputSize: number;
  featureDim: number;
  /** Graph output names, in order. */
  outputs: string[];
  stats: { nodes: number; foldedBatchNorms: number; foldedPaddings: number };
}

/** A converted tensor: NCHW shape without the batch dimension ([C, H, W] or [D]). */
interface TensorState {
  name: string;
  shape: number[];
  /** ZeroPadding not yet applied to `name` (top, left, bottom, right), waiting to fold into a conv. */
  pendingPads?: [number, number, number, number];
  materialized?: string;
  /** Produced by an explicit zero Pad node (see pool() for why MaxPool cares). */
  zeroPadded?: boolean;
}

type Weights = Map<string, DecodedWeight>;

export function convertLayersModel(artifacts: LayersModelArtifacts, opts: ConvertOptions = {}): ConversionResult {
  return convertKerasModel(artifacts.modelTopology, decodeWeights(artifacts), { label: artifacts.label, ...opts });
}

export function convertKerasModel(
  topology: Record<string, unknown>,
  weights: Weights,
  opts: ConvertOptions & { label?: string } = {},
): ConversionResult {
  return new Converter(parseKerasTopology(topology), weights, opts).run();
}

const IDENTITY_LAYERS = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout']);

class Converter {
  private readonly b = new OnnxGraphBuilder();
  private readonly states = new Map<string, TensorState>();
  private readonly consumers = new Map<string, string[]>();
  private readonly exported = new Set<string>();
  private readonly foldedInto = new Set<string>();
  private readonly label: string;
  private inputSize = 0;
  private foldedBatchNorms = 0;
  private foldedPaddings = 0;

  constructor(
    private readonly graph: KerasGraph,
    private readonly weights: Weights,
    private readonly opts: ConvertOptions & { label?: string },
  ) {
    this.label = opts.label ?? 'the model';
  }

  run(): ConversionResult {
    const featureLayers = this.opts.featureLayers ?? [];
    const modelOutputs = this.opts.modelOutputs ? this.graph.outputLayers : [];
    if (featureLayers.length === 0 && modelOutputs.length === 0) {
      throw new BackboneError('nothing to convert: give featureLayers or modelOutputs');
    }
    for (const name of featureLayers) {
      if (!this.graph.byName.has(name)) throw new BackboneError(`feature layer "${name}" is not in ${this.label}`);
    }
    if (this.graph.inputLayers.length !== 1) throw new BackboneError(`${this.label} has ${this.graph.inputLayers.length} inputs; expected 1`);
    const layers = ancestorsOf(this.graph, [...featureLayers, ...modelOutputs]);
    for (const layer of layers) {
      for (const input of layer.inputs) this.consumers.set(input, [...(this.consumers.get(input) ?? []), layer.name]);
    }
    for (const name of [...featureLayers, ...modelOutputs]) this.exported.add(name);
    if (featureLayers.length > 0) this.b.reserveOutput(FEATURES_OUTPUT);
    if (featureLayers.length > 0 && this.opts.layerOutputs) for (const name of featureLayers) this.b.reserveOutput(`pooled:${name}`);
    for (const name of modelOutputs) this.b.reserveOutput(name);
    for (const layer of layers) {
      if (this.foldedInto.has(layer.name)) continue;
      this.states.set(layer.name, this.convertLayer(layer));
    }

    const outputs: ReturnType<typeof valueInfo>[] = [];
    let featureDim = 0;
    if (featureLayers.length > 0) {
      const pooled = featureLayers.map((name) => {
        const state = this.state(name);
        const tensor = this.use(state);
        if (state.shape.length === 3) return { name, tensor: this.b.node('ReduceMean', [tensor], `${name}/pool`, { axes: ints([2, 3]), keepdims: int(0) }), dim: state.shape[0]! };
        if (state.shape.length === 1) return { name, tensor, dim: state.shape[0]! };
        throw new BackboneError(`feature layer "${name}" has rank ${state.shape.length + 1}; expected 4 or 2`);
      });
      featureDim = pooled.reduce((s, p) => s + p.dim, 0);
      const concat = pooled.length === 1 ? pooled[0]!.tensor : this.b.node('Concat', pooled.map((p) => p.tensor), 'features/concat', { axis: int(1) });
      this.b.alias(concat, FEATURES_OUTPUT);
      outputs.push(valueInfo(FEATURES_OUTPUT, ['N', featureDim]));
      if (this.opts.layerOutputs) {
        for (const p of pooled) {
          this.b.alias(p.tensor, `pooled:${p.name}`);
          outputs.push(valueInfo(`pooled:${p.name}`, ['N', p.dim]));
        }
      }
    }
    for (const name of modelOutputs) {
      const state = this.state(name);
      let tensor = this.use(state);
      let dims: number[] = state.shape;
      if (state.shape.length === 3) {
        tensor = this.b.node('Transpose', [tensor], `${name}/to_nhwc`, { perm: ints([0, 2, 3, 1]) });
        dims = [state.shape[1]!, state.shape[2]!, state.shape[0]!];
      }
      this.b.alias(tensor, name);
      outputs.push(valueInfo(name, ['N', ...dims]));
    }

    const inputLayer = this.graph.inputLayers[0]!;
    const channels = this.inputChannels(this.graph.byName.get(inputLayer)!);
    const onnxBytes = this.b.toBytes({
      name: this.label,
      inputs: [valueInfo(INPUT_NAME, ['N', this.inputSize, this.inputSize, channels])],
      outputs,
      docString: `Converted from ${this.label}. Input: NHWC float32 in [0,1]. Output "${FEATURES_OUTPUT}": global-average-pooled [${featureLayers.join(', ')}].`,
      metadata: {
        converter_version: CONVERTER_VERSION,
        feature_layers: featureLayers.join(','),
        feature_dim: String(featureDim),
        input_layout: 'NHWC',
        ...this.opts.metadata,
      },
    });
    return {
      onnx: onnxBytes,
      inputSize: this.inputSize,
      featureDim,
      outputs: outputs.map((o) => o.name!),
      stats: { nodes: this.b.nodes.length, foldedBatchNorms: this.foldedBatchNorms, foldedPaddings: this.foldedPaddings },
    };
  }

  // ---------------------------------------------------------------- helpers

  private state(name: string): TensorState {
    const s = this.states.get(name);
    if (!s) throw new BackboneError(`internal: layer "${name}" was not converted`);
    return s;
  }

  /** The tensor name with any pending padding applied (as an explicit Pad node). */
  private use(state: TensorState): string {
    if (!state.pendingPads) return state.name;
    if (!state.materialized) {
      const [t, l, bo, r] = state.pendingPads;
      const pads = this.b.int64Tensor(`${state.name}/pads`, [8], [0, 0, t, l, 0, 0, bo, r]);
      state.materialized = this.b.node('Pad', [state.name, pads], `${state.name}/padded`, { mode: { kind: 'string', value: 'constant' } });
    }
    return state.materialized;
  }

  private input(layer: KerasLayer, index = 0): TensorState {
    const name = layer.inputs[index];
    if (name === undefined) throw this.refuse(layer, 'has no input');
    return this.state(name);
  }

  private singleInput(layer: KerasLayer): TensorState {
    if (layer.inputs.length !== 1) throw this.refuse(layer, `has ${layer.inputs.length} inputs; expected 1`);
    return this.input(layer);
  }

  private refuse(layer: KerasLayer, why: string): BackboneError {
    return new BackboneError(`cannot convert layer "${layer.name}" (${layer.className}) of ${this.label}: ${why}`);
  }

  private weight(layer: KerasLayer, suffix: string, shape: number[]): Float32Array {
    const key = `${layer.name}/${suffix}`;
    const w = this.weights.get(key);
    if (!w) throw this.refuse(layer, `weight ${key} is missing`);
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw this.refuse(layer, `weight ${key} has shape [${w.shape}], expected [${shape}]`);
    }
    return w.values;
  }

  private pair(layer: KerasLayer, key: string, fallback?: [number, number]): [number, number] {
    const v = layer.config[key];
    if (v == null && fallback) return fallback;
    if (typeof v === 'number') return [v, v];
    if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x))) return [v[0] as number, v[1] as number];
    throw this.refuse(layer, `${key} ${JSON.stringify(v)} is not understood`);
  }

  private checkChannelsLast(layer: KerasLayer): void {
    const format = layer.config.data_format;
    if (format != null && format !== 'channels_last') throw this.refuse(layer, `data_format ${String(format)} is not supported`);
  }

  private isOnlyConsumer(producer: string, consumer: string): boolean {
    const list = this.consumers.get(producer) ?? [];
    return list.length === 1 && list[0] === consumer && !this.exported.has(producer);
  }

  private inputChannels(layer: KerasLayer): number {
    const shape = layer.config.batch_input_shape ?? layer.config.batch_shape;
    if (!Array.isArray(shape) || shape.length !== 4) throw this.refuse(layer, `input shape ${JSON.stringify(shape)}: expected [batch, height, width, channels]`);
    const c = shape[3];
    if (typeof c !== 'number') throw this.refuse(layer, 'input channel count is not fixed');
    return c;
  }

  // ---------------------------------------------------------------- layers

  private convertLayer(layer: KerasLayer): TensorState {
    switch (layer.className) {
      case 'InputLayer':
        return this.inputLayer(layer);
      case 'ZeroPadding2D':
        return this.zeroPadding(layer);
      case 'Conv2D':
      case 'DepthwiseConv2D':
        return this.conv(layer);
      case 'BatchNormalization':
        return this.batchNorm(layer);
      case 'ReLU':
        return this.relu(layer);
      case 'Activation':
        return this.activation(layer, this.singleInput(layer), layer.config.activation);
      case 'Add':
        return this.add(layer);
      case 'AveragePooling2D':
      case 'MaxPooling2D':
        return this.pool(layer);
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D':
        return this.globalPool(layer);
      case 'Flatten':
        return this.flatten(layer);
      case 'Dense':
        return this.dense(layer);
      default:
        if (IDENTITY_LAYERS.has(layer.className)) return this.singleInput(layer); // inference: identity
        throw new BackboneError(
          `cannot convert layer "${layer.name}" of class ${layer.className} (${this.label}): the converter does not support ${layer.className}`,
        );
    }
  }

  private inputLayer(layer: KerasLayer): TensorState {
    const shape = layer.config.batch_input_shape ?? layer.config.batch_shape;
    if (!Array.isArray(shape) || shape.length !== 4) throw this.refuse(layer, `input shape ${JSON.stringify(shape)}: expected [batch, height, width, channels]`);
    const [, h, w, c] = shape as (number | null)[];
    const size = h ?? this.opts.inputSize;
    if (size == null) throw this.refuse(layer, 'input size is open; pass inputSize');
    if ((w ?? size) !== size) throw this.refuse(layer, `non-square input ${h}×${w} is not supported`);
    if (typeof c !== 'number') throw this.refuse(layer, 'input channel count is not fixed');
    if (this.opts.inputSize != null && this.opts.inputSize !== size) {
      throw this.refuse(layer, `the model takes ${size}×${size} input, not ${this.opts.inputSize}`);
    }
    this.inputSize = size;
    this.b.reserve(INPUT_NAME);
    const nchw = this.b.node('Transpose', [INPUT_NAME], `${layer.name}/nchw`, { perm: ints([0, 3, 1, 2]) });
    return { name: nchw, shape: [c, size, size] };
  }

  private zeroPadding(layer: KerasLayer): TensorState {
    this.checkChannelsLast(layer);
    const x = this.singleInput(layer);
    if (x.shape.length !== 3) throw this.refuse(layer, 'input is not rank 4');
    const p = layer.config.padding;
    let t: number, bo: number, l: number, r: number;
    if (typeof p === 'number') [t, bo, l, r] = [p, p, p, p];
    else if (Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number')) [t, bo, l, r] = [p[0], p[0], p[1], p[1]] as number[] as [number, number, number, number];
    else if (Array.isArray(p) && p.length === 2 && p.every((v) => Array.isArray(v) && v.length === 2)) [[t, bo], [l, r]] = p as [[number, number], [number, number]];
    else throw this.refuse(layer, `padding ${JSON.stringify(p)} is not understood`);
    const [c, h, w] = x.shape as [number, number, number];
    const base = x.pendingPads ? { name: this.use(x) } : { name: x.name };
    const consumer = (this.consumers.get(layer.name) ?? [])[0];
    const consumerClass = consumer ? this.graph.byName.get(consumer)?.className : undefined;
    const foldable =
      this.opts.foldPadding !== false &&
      consumer !== undefined &&
      this.isOnlyConsumer(layer.name, consumer) &&
      (consumerClass === 'Conv2D' || consumerClass === 'DepthwiseConv2D' || consumerClass === 'MaxPooling2D');
    const state: TensorState = { name: base.name, shape: [c, h + t + bo, w + l + r], pendingPads: [t, l, bo, r] };
    if (foldable) return state;
    return { name: this.use(state), shape: state.shape, zeroPadded: true };
  }

  private conv(layer: KerasLayer): TensorState {
    this.checkChannelsLast(layer);
    const depthwise = layer.className === 'DepthwiseConv2D';
    const x = this.singleInput(layer);
    if (x.shape.length !== 3) throw this.refuse(layer, 'input is not rank 4');
    const [cin, h, w] = x.shape as [number, number, number];
    const [kh, kw] = this.pair(layer, 'kernel_size');
    const [sh, sw] = this.pair(layer, 'strides', [1, 1]);
    const [dh, dw] = this.pair(layer, 'dilation_rate', [1, 1]);
    const groups = depthwise ? cin : ((layer.config.groups as number | undefined) ?? 1);
    if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0) throw this.refuse(layer, `groups ${groups} does not divide ${cin} channels`);
    const padding = layer.config.padding ?? 'valid';
    if (padding !== 'valid' && padding !== 'same') throw this.refuse(layer, `padding ${String(padding)} is not supported`);

    // Kernel as ONNX [out, in/groups, kh, kw].
    let kernel: Float32Array;
    let cout: number;
    if (depthwise) {
      const mult = (layer.config.depth_multiplier as number | undefined) ?? 1;
      cout = cin * mult;
      const k = this.weight(layer, 'depthwise_kernel', [kh, kw, cin, mult]);
      kernel = new Float32Array(cout * kh * kw);
      // Keras [kh, kw, c, m] → ONNX [c*mult + m, 1, kh, kw]: group c owns outputs c*mult … c*mult+mult-1.
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let c = 0; c < cin; c++)
            for (let m = 0; m < mult; m++) kernel[((c * mult + m) * kh + i) * kw + j] = k[((i * kw + j) * cin + c) * mult + m]!;
    } else {
      cout = layer.config.filters as number;
      const perGroup = cin / groups;
      const k = this.weight(layer, 'kernel', [kh, kw, perGroup, cout]);
      kernel = new Float32Array(cout * perGroup * kh * kw);
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let c = 0; c < perGroup; c++)
            for (let o = 0; o < cout; o++) kernel[((o * perGroup + c) * kh + i) * kw + j] = k[((i * kw + j) * perGroup + c) * cout + o]!;
    }
    const useBias = layer.config.use_bias !== false;
    let bias: Float32Array | undefined = useBias ? this.weight(layer, 'bias', [cout]).slice() : undefined;

    // Pads: Keras 'same' puts the odd pixel at the bottom/right (TF semantics), plus any folded ZeroPadding.
    const [pt0, pl0, pb0, pr0] = x.pendingPads ?? [0, 0, 0, 0];
    if (x.pendingPads) this.foldedPaddings++;
    const hin = h, win = w; // already includes the pending pads
    const same = (size: number, k: number, s: number, d: number): [number, number] => {
      if (padding !== 'same') return [0, 0];
      const out = Math.ceil(size / s);
      const total = Math.max((out - 1) * s + (k - 1) * d + 1 - size, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    const [sameT, sameB] = same(hin, kh, sh, dh);
    const [sameL, sameR] = same(win, kw, sw, dw);
    const pads = [pt0 + sameT, pl0 + sameL, pb0 + sameB, pr0 + sameR];
    const hout = Math.floor((hin + sameT + sameB - ((kh - 1) * dh + 1)) / sh) + 1;
    const wout = Math.floor((win + sameL + sameR - ((kw - 1) * dw + 1)) / sw) + 1;
    if (hout < 1 || wout < 1) throw this.refuse(layer, `input ${hin}×${win} is smaller than the kernel`);

    // Fold a following BatchNormalization: y = (conv(x) + b − mean)·γ/√(var+ε) + β.
    const activation = layer.config.activation ?? 'linear';
    const consumer = (this.consumers.get(layer.name) ?? [])[0];
    const bnLayer = consumer ? this.graph.byName.get(consumer) : undefined;
    let outputName = layer.name;
    if (
      this.opts.foldBatchNorm !== false &&
      activation === 'linear' &&
      bnLayer?.className === 'BatchNormalization' &&
      this.isOnlyConsumer(layer.name, bnLayer.name) &&
      this.bnAxisIsChannels(bnLayer, 4)
    ) {
      const { scale, shift } = this.bnAffine(bnLayer, cout);
      const per = kernel.length / cout;
      for (let o = 0; o < cout; o++) for (let i = 0; i < per; i++) kernel[o * per + i] = kernel[o * per + i]! * scale[o]!;
      const folded = new Float32Array(cout);
      for (let o = 0; o < cout; o++) folded[o] = (bias?.[o] ?? 0) * scale[o]! + shift[o]!;
      bias = folded;
      this.foldedInto.add(bnLayer.name);
      this.foldedBatchNorms++;
      outputName = bnLayer.name;
    }

    const inputs = [x.name, this.b.floatTensor(`${layer.name}/W`, [cout, cin / groups, kh, kw], kernel)];
    if (bias) inputs.push(this.b.floatTensor(`${layer.name}/B`, [cout], bias));
    const attrs: Record<string, Attr> = {
      kernel_shape: ints([kh, kw]),
      strides: ints([sh, sw]),
      dilations: ints([dh, dw]),
      pads: ints(pads),
      group: int(groups),
    };
    const y = this.b.node('Conv', inputs, outputName, attrs);
    const out: TensorState = { name: y, shape: [cout, hout, wout] };
    // The folded BatchNormalization's output is this conv's output (activation is linear here).
    if (outputName !== layer.name) this.states.set(outputName, out);
    return this.activation(layer, out, activation);
  }

  private bnAxisIsChannels(layer: KerasLayer, rank: number): boolean {
    const axis = (layer.config.axis as number | number[] | undefined) ?? -1;
    const a = Array.isArray(axis) ? (axis.length === 1 ? axis[0]! : NaN) : axis;
    return a === -1 || a === rank - 1;
  }

  /** BatchNormalization at inference as a per-channel affine map. */
  private bnAffine(layer: KerasLayer, channels: number): { scale: Float32Array; shift: Float32Array } {
    const eps = (layer.config.epsilon as number | undefined) ?? 1e-3;
    const gamma = layer.config.scale === false ? undefined : this.weight(layer, 'gamma', [channels]);
    const beta = layer.config.center === false ? undefined : this.weight(layer, 'beta', [channels]);
    const mean = this.weight(layer, 'moving_mean', [channels]);
    const variance = this.weight(layer, 'moving_variance', [channels]);
    const scale = new Float32Array(channels);
    const shift = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      scale[c] = (gamma?.[c] ?? 1) / Math.sqrt(variance[c]! + eps);
      shift[c] = (beta?.[c] ?? 0) - mean[c]! * scale[c]!;
    }
    return { scale, shift };
  }

  private batchNorm(layer: KerasLayer): TensorState {
    const x = this.singleInput(layer);
    const rank = x.shape.length + 1;
    if (!this.bnAxisIsChannels(layer, rank)) throw this.refuse(layer, `axis ${JSON.stringify(layer.config.axis)} is not the channel axis`);
    const channels = x.shape[0]!;
    const eps = (layer.config.epsilon as number | undefined) ?? 1e-3;
    const ones = new Float32Array(channels).fill(1);
    const zeros = new Float32Array(channels);
    const gamma = layer.config.scale === false ? ones : this.weight(layer, 'gamma', [channels]);
    const beta = layer.config.center === false ? zeros : this.weight(layer, 'beta', [channels]);
    const inputs = [
      this.use(x),
      this.b.floatTensor(`${layer.name}/gamma`, [channels], gamma),
      this.b.floatTensor(`${layer.name}/beta`, [channels], beta),
      this.b.floatTensor(`${layer.name}/mean`, [channels], this.weight(layer, 'moving_mean', [channels])),
      this.b.floatTensor(`${layer.name}/var`, [channels], this.weight(layer, 'moving_variance', [channels])),
    ];
    return { name: this.b.node('BatchNormalization', inputs, layer.name, { epsilon: float(eps) }), shape: x.shape };
  }

  private clip(base: string, x: string, min: number, max: number): string {
    const lo = this.b.floatTensor(`${base}/min`, [], new Float32Array([min]));
    const hi = this.b.floatTensor(`${base}/max`, [], new Float32Array([max]));
    return this.b.node('Clip', [x, lo, hi], base);
  }

  private relu(layer: KerasLayer): TensorState {
    const x = this.singleInput(layer);
    const max = layer.config.max_value as number | null | undefined;
    const slope = (layer.config.negative_slope as number | undefined) ?? 0;
    const threshold = (layer.config.threshold as number | undefined) ?? 0;
    if (threshold !== 0) throw this.refuse(layer, `threshold ${threshold} is not supported`);
    const input = this.use(x);
    if (slope !== 0) {
      if (max != null) throw this.refuse(layer, 'negative_slope together with max_value is not supported');
      return { name: this.b.node('LeakyRelu', [input], layer.name, { alpha: float(slope) }), shape: x.shape };
    }
    if (max != null) return { name: this.clip(layer.name, input, 0, max), shape: x.shape };
    return { name: this.b.node('Relu', [input], layer.name), shape: x.shape };
  }

  private activation(layer: KerasLayer, x: TensorState, activation: unknown): TensorState {
    const name = typeof activation === 'string' ? activation : (activation as { class_name?: string } | null)?.class_name;
    if (name === undefined || name === 'linear') return x;
    const input = this.use(x);
    const base = `${layer.name}/${name}`;
    switch (name) {
      case 'relu':
        return { name: this.b.node('Relu', [input], base), shape: x.shape };
      case 'relu6':
        return { name: this.clip(base, input, 0, 6), shape: x.shape };
      case 'sigmoid':
        return { name: this.b.node('Sigmoid', [input], base), shape: x.shape };
      case 'tanh':
        return { name: this.b.node('Tanh', [input], base), shape: x.shape };
      case 'softmax':
        // Keras softmax runs over the last (channel) axis, which is axis 1 in NCHW.
        return { name: this.b.node('Softmax', [input], base, { axis: int(x.shape.length === 3 ? 1 : -1) }), shape: x.shape };
      default:
        throw this.refuse(layer, `activation ${JSON.stringify(activation)} is not supported`);
    }
  }

  private add(layer: KerasLayer): TensorState {
    if (layer.inputs.length < 2) throw this.refuse(layer, 'needs at least two inputs');
    const xs = layer.inputs.map((_, i) => this.input(layer, i));
    const shape = xs[0]!.shape;
    if (xs.some((x) => x.shape.join() !== shape.join())) {
      throw this.refuse(layer, `input shapes differ: ${xs.map((x) => `[${x.shape}]`).join(' ')}`);
    }
    return { name: this.b.node(xs.length === 2 ? 'Add' : 'Sum', xs.map((x) => this.use(x)), layer.name), shape };
  }

  private pool(layer: KerasLayer): TensorState {
    this.checkChannelsLast(layer);
    const x = this.singleInput(layer);
    if (x.shape.length !== 3) throw this.refuse(layer, 'input is not rank 4');
    const [c, h, w] = x.shape as [number, number, number]; // h, w include any pending zero padding
    const [kh, kw] = this.pair(layer, 'pool_size', [2, 2]);
    const [sh, sw] = this.pair(layer, 'strides', [kh, kw]);
    const padding = layer.config.padding ?? 'valid';
    let same = [0, 0, 0, 0];
    let hout: number, wout: number;
    if (padding === 'same') {
      hout = Math.ceil(h / sh);
      wout = Math.ceil(w / sw);
      const th = Math.max((hout - 1) * sh + kh - h, 0);
      const tw = Math.max((wout - 1) * sw + kw - w, 0);
      same = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
    } else if (padding === 'valid') {
      hout = Math.floor((h - kh) / sh) + 1;
      wout = Math.floor((w - kw) / sw) + 1;
    } else throw this.refuse(layer, `padding ${String(padding)} is not supported`);
    if (hout < 1 || wout < 1) throw this.refuse(layer, `input ${h}×${w} is smaller than the pool`);
    const isMax = layer.className === 'MaxPooling2D';
    // ZeroPadding → MaxPooling: ONNX MaxPool pads act as −∞, and ONNX Runtime's Pad fusion (wrongly)
    // folds a zero Pad into a following MaxPool. Preferred: pool with the padding as pads, then Max
    // with 0 on exactly the windows that cover zero-padded pixels. ORT wants pads < kernel; beyond
    // that, keep the Pad and put a Max(·, −∞) between Pad and MaxPool so the fusion cannot match.
    let zp = isMax ? x.pendingPads : undefined;
    if (zp && same.some((p, i) => p + zp![i]! >= (i % 2 === 0 ? kh : kw))) zp = undefined;
    const pads = zp ? same.map((p, i) => p + zp![i]!) : same;
    const attrs: Record<string, Attr> = { kernel_shape: ints([kh, kw]), strides: ints([sh, sw]), pads: ints(pads) };
    // TF's 'same' average pooling divides by the number of real pixels: count_include_pad = 0.
    if (!isMax) attrs.count_include_pad = int(0);
    let input = zp ? x.name : this.use(x);
    if (isMax && !zp && (x.zeroPadded || x.pendingPads)) {
      input = this.b.node('Max', [input, this.b.floatTensor(`${layer.name}/fusion_barrier`, [], new Float32Array([-Infinity]))], `${layer.name}/padded`);
    }
    const pooled = this.b.node(isMax ? 'MaxPool' : 'AveragePool', [input], layer.name, attrs);
    if (!zp) return { name: pooled, shape: [c, hout, wout] };

    this.foldedPaddings++;
    const [zt, zl, zb, zr] = zp;
    const touches = (out: number, stride: number, k: number, before: number, size: number, z0: number, z1: number) =>
      Array.from({ length: out }, (_, o) => {
        const start = o * stride - before; // window rows in padded-tensor coordinates
        const end = start + k;
        return (z0 > 0 && start < z0 && end > 0) || (z1 > 0 && end > size - z1 && start < size);
      });
    const rows = touches(hout, sh, kh, same[0]!, h, zt, zb);
    const cols = touches(wout, sw, kw, same[1]!, w, zl, zr);
    const floor = new Float32Array(hout * wout);
    for (let i = 0; i < hout; i++) for (let j = 0; j < wout; j++) floor[i * wout + j] = rows[i] || cols[j] ? 0 : -Infinity;
    const floorName = this.b.floatTensor(`${layer.name}/zero_pad_floor`, [1, 1, hout, wout], floor);
    return { name: this.b.node('Max', [pooled, floorName], `${layer.name}/with_zero_pad`), shape: [c, hout, wout] };
  }

  private globalPool(layer: KerasLayer): TensorState {
    this.checkChannelsLast(layer);
    const x = this.singleInput(layer);
    if (x.shape.length !== 3) throw this.refuse(layer, 'input is not rank 4');
    const keep = layer.config.keepdims === true;
    const op = layer.className === 'GlobalAveragePooling2D' ? 'ReduceMean' : 'ReduceMax';
    const y = this.b.node(op, [this.use(x)], layer.name, { axes: ints([2, 3]), keepdims: int(keep ? 1 : 0) });
    return { name: y, shape: keep ? [x.shape[0]!, 1, 1] : [x.shape[0]!] };
  }

  private flatten(layer: KerasLayer): TensorState {
    this.checkChannelsLast(layer);
    const x = this.singleInput(layer);
    let input = this.use(x);
    if (x.shape.length === 1) return x;
    const size = x.shape.reduce((a, b) => a * b, 1);
    // Keras flattens in HWC order; with a spatial extent the NCHW tensor must go back to NHWC first.
    if (x.shape.length === 3 && x.shape[1]! * x.shape[2]! > 1) {
      input = this.b.node('Transpose', [input], `${layer.name}/nhwc`, { perm: ints([0, 2, 3, 1]) });
    }
    return { name: this.b.node('Flatten', [input], layer.name, { axis: int(1) }), shape: [size] };
  }

  private dense(layer: KerasLayer): TensorState {
    const x = this.singleInput(layer);
    if (x.shape.length !== 1) throw this.refuse(layer, `input has rank ${x.shape.length + 1}; only [batch, features] input is supported`);
    const inDim = x.shape[0]!;
    const units = layer.config.units as number;
    const kernel = this.weight(layer, 'kernel', [inDim, units]);
    const inputs = [this.use(x), this.b.floatTensor(`${layer.name}/W`, [inDim, units], kernel)];
    if (layer.config.use_bias !== false) inputs.push(this.b.floatTensor(`${layer.name}/B`, [units], this.weight(layer, 'bias', [units])));
    const y = this.b.node('Gemm', inputs, layer.name);
    return this.activation(layer, { name: y, shape: [units] }, layer.config.activation);
  }
}
