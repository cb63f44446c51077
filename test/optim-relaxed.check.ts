/**
 * Run by test/optim-f32.test.ts in a child `node --experimental-wasm-relaxed-simd`: the
 * relaxed-SIMD build's update-rule kernels against the float32 reference.
 * Prints one JSON line { paths, checked, mismatches, firstMismatch }.
 */
import { availableKernelPaths, optimF32Reference } from "../src/node.js";
import { backendFor } from "../src/kernels/index.js";
import { optimDifferential } from "./optim-f32.shared.js";

const paths = availableKernelPaths();
const kernels = paths.includes("wasm-relaxed") ? (backendFor("wasm-relaxed").optimF32 ?? null) : null;
const r = kernels === null ? { checked: 0, mismatches: 0, firstMismatch: null } : optimDifferential(kernels, optimF32Reference);
process.stdout.write(JSON.stringify({ paths, ...r }) + "\n");
