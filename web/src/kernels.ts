/**
 * Kernel selection in a worker: registers the WebAssembly builds this engine can
 * run and picks the requested path ("auto": relaxed SIMD, then SIMD, then the
 * TypeScript reference).
 */
import { availableKernelPaths, getKernelPath, registerKernelPath, setKernelPath, type KernelPath } from "../../src/kernels/index.js";
import { createWasmGemm } from "../../src/kernels/wasm.js";
import type { KernelChoice } from "./state.js";

let registered = false;

function registerWasm(): void {
  if (registered) return;
  registered = true;
  const have = new Set(availableKernelPaths());
  for (const [path, build] of [["wasm-simd", "simd"], ["wasm-relaxed", "relaxed"]] as const) {
    if (have.has(path)) continue;
    const g = createWasmGemm(build);
    if (g) registerKernelPath(path, g);
  }
}

/** Selects the kernel path for `choice`; returns the path in use. Throws when a named path is unavailable. */
export function useKernels(choice: KernelChoice): KernelPath {
  registerWasm();
  const have = availableKernelPaths();
  if (choice === "auto") {
    const best = (["wasm-relaxed", "wasm-simd", "ts"] as const).find((p) => have.includes(p)) ?? "ts";
    setKernelPath(best);
  } else {
    setKernelPath(choice);
  }
  return getKernelPath();
}
