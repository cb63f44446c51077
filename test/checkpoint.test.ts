/**
 * Checkpoints: a run saved at an epoch end and resumed in a new Solver (or a new process,
 * after SIGKILL) ends bit-identical to the run that was never stopped: weights, running
 * statistics, update-rule state, histories, best model and every random stream. The file
 * is a safetensors file numpy reads; damaged or foreign files are refused, naming the file
 * and what differs.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataFormatError, FullyConnectedNet, RandomState, Solver, modelFromSpec, syntheticCifar } from "../src/index.js";
import { setBackgroundCheckerFactory } from "../src/train/solver.js";
import type { ModelSnapshot } from "../src/models/model.js";
import { AccuracyCounter } from "../src/train/accuracy.js";
import type { BackgroundCheckerFactory } from "../src/train/checks.js";
import type { Dataset, SolverState } from "../src/train/solver.js";
import { CHECKPOINT_FILES, decodeCheckpoint, encodeCheckpoint, readCheckpointFile, writeCheckpointFile } from "../src/node/checkpoint.js";
import { main } from "../cli/main.js";
import { captureCliOutput } from "./helpers/cli-capture.js";
import { repoRoot } from "./helpers/env.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-checkpoint-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const io = captureCliOutput();

const syn = syntheticCifar({ numTrain: 120, numVal: 40, numTest: 10, seed: 3 });
const data: Dataset = { xTrain: syn.xTrain, yTrain: syn.yTrain, xVal: syn.xVal, yVal: syn.yVal };

interface Setup {
  net: ConstructorParameters<typeof FullyConnectedNet>[0];
  updateRule: string;
  lrDecay?: number;
}

const SETUPS: Record<string, Setup> = {
  "float32, batch norm, adam": { net: { hiddenDims: [16, 12], normalization: "batchnorm" }, updateRule: "adam" },
  "float64, layer norm, sgdMomentum, lr decay": { net: { hiddenDims: [10], normalization: "layernorm", dtype: "float64" }, updateRule: "sgdMomentum", lrDecay: 0.9 },
  "float32, dropout + noisy batch norm, rmsprop": {
    net: { hiddenDims: [12, 12], normalization: "batchnorm", dropoutKeepRatio: 0.8, bnNoise: { shift: 0.1, scale: 0.2, seed: 5 } },
    updateRule: "rmsprop",
  },
  "float32, batch renorm, sgd": { net: { hiddenDims: [12], normalization: "batchrenorm" }, updateRule: "sgd" },
  "float32, group norm, adam": { net: { hiddenDims: [12], normalization: "groupnorm", groups: 3 }, updateRule: "adam" },
};

function build(s: Setup, onCheckpoint?: (st: SolverState) => void): { net: FullyConnectedNet; solver: Solver } {
  const rng = new RandomState(17);
  const net = new FullyConnectedNet({ inputDim: 3072, weightScale: 5e-2, rng, ...s.net });
  const solver = new Solver(net, data, {
    updateRule: s.updateRule,
    optimConfig: { learningRate: 1e-2 },
    lrDecay: s.lrDecay ?? 1,
    batchSize: 20,
    numEpochs: 4,
    numTrainSamples: 50,
    rng,
    backgroundChecks: false,
    ...(onCheckpoint ? { onCheckpoint } : {}),
  });
  return { net, solver };
}

/** Everything that must be equal bit for bit, as bytes (a checkpoint of the state after train()). */
function fingerprint(solver: Solver): Uint8Array {
  return encodeCheckpoint(solver.state());
}

describe("Solver.state / restoreState", () => {
  for (const [name, setup] of Object.entries(SETUPS)) {
    it(`${name}: resumed from every epoch end, the run ends bit-identical`, () => {
      const saved: SolverState[] = [];
      const whole = build(setup, (st) => saved.push(st));
      whole.solver.train();
      expect(saved.map((s) => s.epoch)).toEqual([1, 2, 3, 4]);
      const want = fingerprint(whole.solver);
      for (const st of saved.slice(0, 3)) {
        // Through the file format, as a resumed process would see it.
        const back = decodeCheckpoint(encodeCheckpoint(st), "mem");
        const resumed = build(setup);
        resumed.solver.restoreState(back, "mem");
        resumed.solver.train();
        expect(Buffer.from(fingerprint(resumed.solver)).equals(Buffer.from(want))).toBe(true);
        expect(resumed.solver.lossHistory).toEqual(whole.solver.lossHistory);
        expect(resumed.solver.valAccHistory).toEqual(whole.solver.valAccHistory);
        expect(resumed.net.rng.getState()).toEqual(whole.net.rng.getState());
        if (whole.net.noiseRng !== null) expect(resumed.net.noiseRng!.getState()).toEqual(whole.net.noiseRng.getState());
      }
      // The final checkpoint resumes to a finished run: no step, the best model restored.
      const done = build(setup);
      done.solver.restoreState(decodeCheckpoint(encodeCheckpoint(saved[3]!), "mem"));
      done.solver.train();
      expect(done.solver.lossHistory.length).toBe(whole.solver.lossHistory.length);
      expect(Buffer.from(fingerprint(done.solver)).equals(Buffer.from(want))).toBe(true);
    });
  }

  it("a check outstanding on a background checker at an epoch end is settled before the checkpoint", () => {
    // A checker that answers only when waited for: every epoch-end check is outstanding at the checkpoint.
    let waited = 0;
    const fake: BackgroundCheckerFactory = (model, d) => {
      const copy = modelFromSpec(model.spec!()!);
      const queue: { snap: ModelSnapshot; trainMask: Int32Array | null; valMask: Int32Array | null; withVal: boolean }[] = [];
      const counter = new AccuracyCounter();
      const acc = (X: Dataset["xTrain"], y: Int32Array, mask: Int32Array | null): number => counter.count(copy, X, y, mask) / (mask === null ? X.shape[0]! : mask.length);
      return {
        ready: () => true,
        submit: (snap, trainMask, valMask, withVal = true) => void queue.push({ snap, trainMask, valMask, withVal }),
        poll: () => null,
        wait: () => {
          waited++;
          const q = queue.shift()!;
          copy.restore(q.snap);
          return { trainAcc: acc(d.xTrain, d.yTrain, q.trainMask), valAcc: q.withVal ? acc(d.xVal, d.yVal, q.valMask) : NaN };
        },
        end: () => void (queue.length = 0),
      };
    };
    const inline: SolverState[] = [];
    build(SETUPS["float32, batch norm, adam"]!, (st) => inline.push(st)).solver.train();
    const threaded: SolverState[] = [];
    setBackgroundCheckerFactory(fake);
    try {
      const rng = new RandomState(17);
      const net = new FullyConnectedNet({ inputDim: 3072, weightScale: 5e-2, rng, hiddenDims: [16, 12], normalization: "batchnorm" });
      const solver = new Solver(net, data, {
        updateRule: "adam", optimConfig: { learningRate: 1e-2 }, batchSize: 20, numEpochs: 4, numTrainSamples: 50, rng,
        backgroundChecks: true, onCheckpoint: (st) => threaded.push(st),
      });
      solver.train();
    } finally {
      setBackgroundCheckerFactory(null);
    }
    expect(waited).toBe(5); // the first check and one per epoch, each waited for
    expect(threaded.map((s) => s.accIterations.length)).toEqual([2, 3, 4, 5]);
    threaded.forEach((st, i) => expect(Buffer.from(encodeCheckpoint(st)).equals(Buffer.from(encodeCheckpoint(inline[i]!)))).toBe(true));
  });
});

describe("refused checkpoints name the file and what differs", () => {
  const saved: SolverState[] = [];
  build(SETUPS["float32, batch norm, adam"]!, (st) => saved.push(st)).solver.train();
  const file = join(tmp, "a.safetensors");
  writeCheckpointFile(file, saved[1]!);
  const good = readFileSync(file);

  it("reads back what it wrote", () => {
    const back = readCheckpointFile(file);
    expect(back.epoch).toBe(2);
    expect(Buffer.from(encodeCheckpoint(back)).equals(good)).toBe(true);
  });

  const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
    ["truncated in the data", (b) => b.subarray(0, b.length - 100), /truncated: the arrays need \d+ bytes of data/],
    ["truncated in the header", (b) => b.subarray(0, 200), /truncated: the header says \d+ bytes/],
    ["shorter than 8 bytes", (b) => b.subarray(0, 5), /truncated: 5 bytes/],
    ["a flipped data byte", (b) => flip(b, b.length - 7), /corrupted: the SHA-256/],
    ["a file of another format", () => Buffer.from("PK\x03\x04 not a checkpoint at all, really"), /not a checkpoint/],
  ];
  for (const [what, mutate, message] of cases) {
    it(what, () => {
      const p = join(tmp, `bad-${what.replace(/\W+/g, "-")}.safetensors`);
      writeFileSync(p, mutate(Buffer.from(good)));
      expect(() => readCheckpointFile(p)).toThrow(DataFormatError);
      expect(() => readCheckpointFile(p)).toThrow(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ${message.source}`));
    });
  }

  const mismatches: [string, Setup, RegExp][] = [
    ["another architecture", { net: { hiddenDims: [16, 13], normalization: "batchnorm" }, updateRule: "adam" }, /another architecture: hiddenDims \[16,12\] in the checkpoint, \[16,13\] here/],
    ["another dtype", { net: { hiddenDims: [16, 12], normalization: "batchnorm", dtype: "float64" }, updateRule: "adam" }, /another dtype: dtype "float32" in the checkpoint, "float64" here/],
    ["another update rule", { net: { hiddenDims: [16, 12], normalization: "batchnorm" }, updateRule: "rmsprop" }, /another update rule: adam in the checkpoint, rmsprop here/],
    ["another normalization", { net: { hiddenDims: [16, 12], normalization: "layernorm" }, updateRule: "adam" }, /another architecture: normalization "batchnorm" in the checkpoint, "layernorm" here/],
  ];
  for (const [what, setup, message] of mismatches) {
    it(what, () => {
      const { solver, net } = build(setup);
      const before = net.snapshot();
      expect(() => solver.restoreState(readCheckpointFile(file), file)).toThrow(DataFormatError);
      expect(() => solver.restoreState(readCheckpointFile(file), file)).toThrow(message);
      expect(net.snapshot()).toEqual(before); // nothing half applied
    });
  }
});

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] = c[at]! ^ 0xff;
  return c;
}

const hasNumpy = spawnSync("python3", ["-c", "import numpy"], { encoding: "utf8" }).status === 0;

describe("numpy reads a checkpoint (no pickle)", () => {
  it.skipIf(!hasNumpy)("every array, by name, with the header's dtype and shape", () => {
    const saved: SolverState[] = [];
    const { solver } = build(SETUPS["float32, batch norm, adam"]!, (st) => saved.push(st));
    solver.train();
    const file = join(tmp, "numpy.safetensors");
    writeCheckpointFile(file, saved.at(-1)!);
    // The reader of docs/checkpoints.md.
    const reader = `
import json, struct, sys, numpy as np
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n]); d = b[8 + n:]
meta = h.pop("__metadata__"); state = json.loads(meta["state"])
dt = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "U32": "<u4"}
arr = {k: np.frombuffer(d[v["data_offsets"][0]:v["data_offsets"][1]], dtype=dt[v["dtype"]]).reshape(v["shape"]) for k, v in h.items()}
print(json.dumps({"W1": [str(arr["params/W1"].dtype), list(arr["params/W1"].shape), float(arr["params/W1"].astype(np.float64).sum())],
  "m1": float(arr["optim/W1/m"].astype(np.float64).sum()), "loss": arr["history/loss"].tolist(), "key0": int(arr["rng/solver"][0]),
  "t": state["optim"]["W1"]["scalars"]["t"], "epoch": state["epoch"], "format": meta["format"]}))
`;
    const r = spawnSync("python3", ["-c", reader, file], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const got = JSON.parse(r.stdout) as Record<string, unknown>;
    const st = saved.at(-1)!;
    const sum = (a: ArrayLike<number>): number => Array.from(a).reduce((x, y) => x + y, 0);
    expect(got["W1"]).toEqual(["float32", [3072, 16], expect.closeTo(sum(st.model.params.get("W1")!), 6)]);
    expect(got["m1"]).toBeCloseTo(sum(st.optim.get("W1")!.buffers["m"]!), 6);
    expect(got["loss"]).toEqual(st.lossHistory);
    expect(got["key0"]).toBe(st.rng.key[0]);
    expect(got["t"]).toBe(24);
    expect(got["epoch"]).toBe(4);
    expect(got["format"]).toBe("bnlab-checkpoint");
  });
});

describe("bnlab train --checkpoint-dir, killed with SIGKILL, then --resume", () => {
  const flags = ["--synthetic", "--num-train", "100", "--num-val", "50", "--epochs", "16", "--batch-size", "20", "--hidden", "24,24", "--normalization", "batchnorm", "--update-rule", "adam"];

  it(
    "ends bit-identical to the run that was never stopped (weights, histories, generator state)",
    async () => {
      const whole = join(tmp, "whole");
      expect(await main(["train", ...flags, "--checkpoint-dir", join(whole, "ck"), "--out", join(whole, "out")])).toBe(0);

      const killed = join(tmp, "killed");
      const ck = join(killed, "ck");
      const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "cli/main.ts"), "train", ...flags, "--checkpoint-dir", ck, "--out", join(killed, "out")], {
        // NOTE: one process (tsx's own CLI would run the program in a child that SIGKILL does not reach).
        stdio: "ignore",
        cwd: repoRoot,
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
      // Poll for the first checkpoint, then kill at once.
      while (!existsSync(join(ck, CHECKPOINT_FILES.latest)) && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");
      expect(existsSync(join(killed, "out", "run.json"))).toBe(false); // it never finished
      const atKill = readCheckpointFile(join(ck, CHECKPOINT_FILES.latest)).epoch;
      expect(atKill).toBeLessThan(16);

      expect(await main(["train", ...flags, "--checkpoint-dir", ck, "--resume", "--out", join(killed, "out")])).toBe(0);
      // The final checkpoints hold weights, statistics, update-rule state, histories, best model and streams.
      const a = readFileSync(join(whole, "ck", CHECKPOINT_FILES.latest));
      const b = readFileSync(join(ck, CHECKPOINT_FILES.latest));
      expect(b.equals(a)).toBe(true);
      expect(readFileSync(join(ck, CHECKPOINT_FILES.best)).equals(readFileSync(join(whole, "ck", CHECKPOINT_FILES.best)))).toBe(true);
      const runOf = (dir: string): unknown => {
        const j = JSON.parse(readFileSync(join(dir, "out", "run.json"), "utf8")) as { runs: Record<string, unknown>[] };
        for (const r of j.runs) delete r["seconds"];
        return j;
      };
      expect(runOf(killed)).toEqual(runOf(whole));
      console.info(`[checkpoint] killed at epoch ${atKill} of 16; resumed run's final checkpoint equals the whole run's (${a.length} bytes)`);
    },
    120_000,
  );

  it("--resume without a checkpoint, or of another run, is one clear line", async () => {
    const empty = join(tmp, "empty");
    expect(await main(["train", ...flags, "--checkpoint-dir", empty, "--resume", "--out", join(tmp, "o1")])).toBe(2);
    expect(io.stderr).toMatch(/invalid --resume: expected a checkpoint in .*empty \(latest.safetensors\), got "none"/);
    expect(await main(["train", ...flags, "--resume", "--out", join(tmp, "o1")])).toBe(2);
    const other = join(tmp, "whole", "ck");
    expect(await main(["train", ...flags.map((f) => (f === "24,24" ? "24,25" : f)), "--checkpoint-dir", other, "--resume", "--out", join(tmp, "o2")])).toBe(1);
    expect(io.stderr).toMatch(/latest\.safetensors: another architecture: hiddenDims \[24,24\] in the checkpoint, \[24,25\] here/);
    expect(io.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
