/**
 * Kernel selection in a worker. The kernels module registers the WebAssembly
 * builds this engine validates when it is imported; "auto" resolves as it does in
 * Node (wasm-simd first), so the page and `bnlab train` take the same path.
 */
import { getKernelPath, setKernelPath, type KernelPath } from "../../src/index.js";
import type { KernelChoice } from "./state.js";

/** Selects the kernel path for `choice`; returns the path in use. Throws when a named path is unavailable here. */
export function useKernels(choice: KernelChoice): KernelPath {
  setKernelPath(choice);
  return getKernelPath();
}
