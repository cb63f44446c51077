/**
 * The committed src/kernels/wasm-bytes.generated.ts must be exactly what a fresh
 * AssemblyScript build of asm/gemm.ts produces.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("generated WebAssembly module", () => {
  it("is reproduced byte for byte by a fresh asc build", () => {
    const out = execFileSync(process.execPath, ["scripts/build-wasm.mjs", "--check"], { encoding: "utf8", timeout: 60_000 });
    expect(out).toMatch(/is up to date \(simd \d+ B, relaxed \d+ B, simd-shared \d+ B\)/);
  }, 60_000);
});
