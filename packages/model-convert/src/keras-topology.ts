/**
 * A Keras (TF.js layers) model topology reduced to what the converter needs: layers in an order where
 * every input comes first, each with its class, config and input layer names.
 */
import { z } from 'zod';
import { BackboneError } from '@petal/model';

export interface KerasLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Names of the layers feeding this one (one call per layer; shared layers are refused). */
  inputs: string[];
}

export interface KerasGraph {
  layers: KerasLayer[];
  byName: Map<string, KerasLayer>;
  inputLayers: string[];
  outputLayers: string[];
}

const layerSchema = z.object({
  name: z.string().optional(),
  class_name: z.string(),
  config: z.record(z.string(), z.unknown()),
  inbound_nodes: z.array(z.unknown()).optional(),
});

/** `[[layer, nodeIndex, tensorIndex, kwargs], ...]` — the keras 2 inbound-node form TF.js writes. */
const inboundNodeSchema = z.array(z.tuple([z.string(), z.number(), z.number()]).rest(z.unknown()));
const endpointList = z.array(z.tuple([z.string(), z.number(), z.number()]).rest(z.unknown()));

function modelConfigOf(topology: Record<string, unknown>): { className: string; config: unknown } {
  const inner = (topology.model_config ?? topology) as Record<string, unknown>;
  if (typeof inner.class_name !== 'string') throw new BackboneError('model topology has no class_name');
  return { className: inner.class_name, config: inner.config };
}

export function parseKerasTopology(topology: Record<string, unknown>): KerasGraph {
  const { className, config } = modelConfigOf(topology);
  let layers: KerasLayer[];
  let inputLayers: string[];
  let outputLayers: string[];
  if (className === 'Sequential') {
    const rawLayers = Array.isArray(config) ? config : (config as { layers?: unknown })?.layers;
    const parsed = z.array(layerSchema).parse(rawLayers);
    layers = [];
    let previous: string | undefined;
    for (const raw of parsed) {
      const name = raw.name ?? (raw.config.name as string | undefined);
      if (!name) throw new BackboneError(`a ${raw.class_name} layer has no name`);
      if (raw.class_name !== 'InputLayer' && previous === undefined) {
        // Sequential models put the input shape on the first layer; give it an explicit input layer.
        const shape = raw.config.batch_input_shape;
        if (!Array.isArray(shape)) throw new BackboneError(`first layer ${name} has no batch_input_shape`);
        layers.push({ name: `${name}_input`, className: 'InputLayer', config: { batch_input_shape: shape }, inputs: [] });
        previous = `${name}_input`;
      }
      layers.push({ name, className: raw.class_name, config: raw.config, inputs: previous ? [previous] : [] });
      previous = name;
    }
    inputLayers = [layers[0]!.name];
    outputLayers = [previous!];
  } else if (className === 'Model' || className === 'Functional') {
    const cfg = z
      .object({ layers: z.array(layerSchema), input_layers: endpointList, output_layers: endpointList })
      .parse(config);
    layers = cfg.layers.map((raw) => {
      const name = raw.name ?? (raw.config.name as string | undefined);
      if (!name) throw new BackboneError(`a ${raw.class_name} layer has no name`);
      const nodes = raw.inbound_nodes ?? [];
      if (nodes.length > 1) {
        throw new BackboneError(`layer "${name}" (${raw.class_name}) is called ${nodes.length} times; shared layers are not supported`);
      }
      let inputs: string[] = [];
      if (nodes.length === 1) {
        const node = inboundNodeSchema.safeParse(nodes[0]);
        if (!node.success) throw new BackboneError(`layer "${name}" (${raw.class_name}) has an inbound node format this converter does not read`);
        inputs = node.data.map((endpoint) => {
          if (endpoint[1] !== 0 || endpoint[2] !== 0) {
            throw new BackboneError(`layer "${name}" reads output ${endpoint[1]}/${endpoint[2]} of "${endpoint[0]}"; only single-output layers are supported`);
          }
          return endpoint[0];
        });
      }
      return { name, className: raw.class_name, config: raw.config, inputs };
    });
    inputLayers = cfg.input_layers.map((e) => e[0]);
    outputLayers = cfg.output_layers.map((e) => e[0]);
  } else {
    throw new BackboneError(`model class ${className} is not supported (expected Model, Functional or Sequential)`);
  }
  const byName = new Map(layers.map((l) => [l.name, l]));
  for (const layer of layers) {
    for (const input of layer.inputs) {
      if (!byName.has(input)) throw new BackboneError(`layer "${layer.name}" reads unknown layer "${input}"`);
    }
  }
  return { layers: topologicalOrder(layers, byName), byName, inputLayers, outputLayers };
}

function topologicalOrder(layers: KerasLayer[], byName: Map<string, KerasLayer>): KerasLayer[] {
  const done = new Set<string>();
  const visiting = new Set<string>();
  const order: KerasLayer[] = [];
  const visit = (layer: KerasLayer): void => {
    if (done.has(layer.name)) return;
    if (visiting.has(layer.name)) throw new BackboneError(`layer "${layer.name}" is part of a cycle`);
    visiting.add(layer.name);
    for (const input of layer.inputs) visit(byName.get(input)!);
    visiting.delete(layer.name);
    done.add(layer.name);
    order.push(layer);
  };
  for (const layer of layers) visit(layer);
  return order;
}

/** The layers needed to compute `targets`, in topological order. */
export function ancestorsOf(graph: KerasGraph, targets: readonly string[]): KerasLayer[] {
  const needed = new Set<string>();
  const stack = [...targets];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    const layer = graph.byName.get(name);
    if (!layer) throw new BackboneError(`layer "${name}" is not in the model`);
    needed.add(name);
    stack.push(...layer.inputs);
  }
  return graph.layers.filter((l) => needed.has(l.name));
}
