/**
 * Rebuilds a model from its `spec()` (src/models/model.ts): the one place that knows
 * bnlab's concrete model classes, so that code moving models between threads (the
 * background accuracy checks) needs only the `Model` contract.
 */
import { OptionError } from "../core/errors.js";
import { FullyConnectedNet, type FullyConnectedNetOptions } from "./fc-net.js";
import type { Model, ModelSpec } from "./model.js";

/**
 * A new model of the kind and options `spec` describes, with weights from no stream
 * (weightScale 0, seed 0): `restore` a snapshot into it. OptionError for an unknown kind.
 */
export function modelFromSpec(spec: ModelSpec): Model {
  if (spec.kind === "fc-net") {
    return new FullyConnectedNet({ ...(spec.options as unknown as FullyConnectedNetOptions), weightScale: 0, seed: 0 });
  }
  throw new OptionError("spec.kind", '"fc-net"', spec.kind);
}
