/**
 * What `npm run fuzz` feeds: one `FuzzTarget` per input bnlab parses. Each builds
 * valid seed inputs once, turns a seeded generator into one mutated input, and
 * runs the parser on it. A target returns "parsed" or "refused" (a clean refusal:
 * a BnlabError thrown, an HTTP 4xx answered); anything else it throws — another
 * error type, or a `FuzzInvariant` when a parsed result breaks a promise the
 * parser makes — is a failure (scripts/fuzz.ts saves a reproducer).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { startServer, type RunningServer } from "../cli/server.js";
import { BnlabError } from "../src/core/errors.js";
import { loadCifar10 } from "../src/data/cifar10.js";
import { parseBinaryBatch, parseBinaryMeta, parsePickledBatch, parsePickledMeta } from "../src/data/formats.js";
import { parseResultsJson, resultsJsonText, toResultsJson } from "../src/report/schema.js";
import { DEFAULTS, FIELDS, parseSettings, settingsToQuery, type Settings } from "../web/src/state.js";
import { CLASS_NAMES, binaryBatch, pickleBatch, pickleMeta, randomImages, tarEntry } from "../test/fixtures/data/make.js";
import { makeResults } from "../test/report-helpers.js";
import { syntheticCifar } from "../src/data/synthetic.js";
import { COVARIATE_SHIFT_QUICK, covariateShiftStudy } from "../src/studies/covariate-shift/index.js";
import { parseStudyJson, studyJsonText, toStudyJson } from "../src/studies/json.js";
import { runStudy } from "../src/studies/study.js";
import { mutateBytes, mutateText, pick, type Rng } from "./fuzz-mutate.js";
import { createHash } from "node:crypto";
import { decodeCheckpoint, encodeCheckpoint } from "../src/node/checkpoint.js";
import { readStudyJobs, readStudyPlan, studyJobStore } from "../src/node/study-store.js";
import { FullyConnectedNet } from "../src/models/fc-net.js";
import { RandomState } from "../src/core/random.js";
import { Solver } from "../src/train/solver.js";

/** A parsed result that breaks the parser's own promise (a wrong answer, not an error). */
export class FuzzInvariant extends Error {
  override name = "FuzzInvariant";
}

export type Outcome = "parsed" | "refused";

export interface FuzzTarget {
  readonly name: string;
  /** Builds the seed inputs (and starts what the target needs, e.g. a server). */
  setup(): Promise<void> | void;
  /** Input number i, from its own generator. */
  generate(rng: Rng): Uint8Array;
  run(input: Uint8Array): Promise<Outcome> | Outcome;
  teardown?(): Promise<void> | void;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Runs a synchronous parser: a BnlabError is a clean refusal, anything else propagates. */
function refusing(f: () => void): Outcome {
  try {
    f();
    return "parsed";
  } catch (err) {
    if (err instanceof BnlabError) return "refused";
    throw err;
  }
}

function checkBatch(b: { x: Uint8Array; y: Int32Array }): void {
  if (b.x.length !== b.y.length * 3072) throw new FuzzInvariant(`batch of ${b.y.length} labels has ${b.x.length} pixel bytes`);
  for (const l of b.y) if (!(l >= 0 && l <= 9)) throw new FuzzInvariant(`label ${l} outside 0..9`);
}

function bytesTarget(name: string, seeds: () => Uint8Array[], parse: (b: Uint8Array) => void): FuzzTarget {
  let pool: Uint8Array[] = [];
  return {
    name,
    setup: () => void (pool = seeds()),
    generate: (rng) => mutateBytes(rng, pick(rng, pool), pool),
    run: (input) => refusing(() => parse(input)),
  };
}

const binaryBatchTarget = bytesTarget(
  "binary-batch",
  () => [1, 2, 3].map((n) => { const { x, y } = randomImages(n, n); return binaryBatch(x, y); }),
  (b) => checkBatch(parseBinaryBatch(b, "data_batch_1.bin")),
);

const binaryMetaTarget = bytesTarget(
  "binary-meta",
  () => [enc.encode(`${CLASS_NAMES.join("\n")}\n\n`), enc.encode(CLASS_NAMES.join("\r\n"))],
  (b) => {
    const names = parseBinaryMeta(b, "batches.meta.txt");
    if (names.length !== 10) throw new FuzzInvariant(`${names.length} class names`);
  },
);

const pickleBatchTarget = bytesTarget(
  "pickle-batch",
  () => [1, 3].flatMap((n) => { const { x, y } = randomImages(n, 10 + n); return [pickleBatch(x, y), pickleBatch(x, y, { filenames: true })]; }),
  (b) => checkBatch(parsePickledBatch(b, "data_batch_1")),
);

const pickleMetaTarget = bytesTarget(
  "pickle-meta",
  () => [pickleMeta(CLASS_NAMES)],
  (b) => {
    const names = parsePickledMeta(b, "batches.meta");
    if (names.length !== 10) throw new FuzzInvariant(`${names.length} class names`);
  },
);

/**
 * Archives: the whole loader (`loadCifar10` on a cifar-10-binary.tar.gz) on a tiny
 * dataset, mutated three ways: the gzip bytes, the tar bytes (then gzipped), or
 * the entries (names with `..`, links, other types, mutated member files) with
 * valid headers, so the mutations reach past the checksums into the parsers.
 */
function archiveTarget(): FuzzTarget {
  let dir = "";
  let entries: { name: string; content: Uint8Array<ArrayBufferLike> }[] = [];
  const raw = (es: Uint8Array[]): Uint8Array => {
    const out = new Uint8Array(es.reduce((s, e) => s + e.length, 0) + 1024);
    let at = 0;
    for (const e of es) {
      out.set(e, at);
      at += e.length;
    }
    return out;
  };
  const NAMES = ["cifar-10-batches-bin/../x", "/abs", "cifar-10-batches-bin/./data_batch_1.bin", "cifar-10-batches-bin//data_batch_2.bin", "a\\b", "cifar-10-batches-bin/sub/data_batch_3.bin", ""];
  let tarBytes: Uint8Array = new Uint8Array(0);
  return {
    name: "archive",
    setup() {
      dir = mkdtempSync(join(tmpdir(), "bnlab-fuzz-tar-"));
      entries = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat("test_batch.bin").map((f, k) => {
        const { x, y } = randomImages(2, 20 + k);
        return { name: `cifar-10-batches-bin/${f}`, content: binaryBatch(x, y) };
      });
      entries.push({ name: "cifar-10-batches-bin/batches.meta.txt", content: enc.encode(`${CLASS_NAMES.join("\n")}\n`) });
      tarBytes = raw(entries.map((e) => tarEntry(e.name, e.content)));
    },
    generate(rng) {
      const mode = rng();
      if (mode < 0.25) return mutateBytes(rng, gzipSync(tarBytes), []);
      if (mode < 0.5) return gzipSync(mutateBytes(rng, tarBytes, []));
      const es = entries.map((e) => ({ ...e, type: "0", link: "" }));
      const n = 1 + Math.floor(rng() * 3);
      for (let k = 0; k < n; k++) {
        const e = pick(rng, es);
        const r = rng();
        if (r < 0.4) e.content = mutateBytes(rng, e.content, []);
        else if (r < 0.6) e.name = pick(rng, NAMES) + (rng() < 0.5 ? e.name : "");
        else if (r < 0.75) e.type = pick(rng, ["1", "2", "3", "4", "5", "6", "7", "x"]);
        else if (r < 0.85) e.link = pick(rng, ["/etc/passwd", "../../x", "data_batch_1.bin"]);
        else es.splice(es.indexOf(e), 1);
      }
      if (rng() < 0.2) es.push({ ...pick(rng, es.length > 0 ? es : [{ name: "x", content: new Uint8Array(1), type: "0", link: "" }]) });
      return gzipSync(raw(es.map((e) => tarEntry(e.name.slice(0, 99), e.content, e.type, e.link))));
    },
    run(input) {
      const file = join(dir, "cifar-10-binary.tar.gz");
      writeFileSync(file, input);
      return refusing(() => {
        const d = loadCifar10(file);
        checkBatch({ x: d.xTrain, y: d.yTrain });
        checkBatch({ x: d.xTest, y: d.yTest });
      });
    },
    teardown: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Replaces, removes or adds one node of a JSON value (structural mutation). */
function mutateJson(rng: Rng, value: unknown, depth = 0): unknown {
  const WILD: unknown[] = [null, -1, 0, 1.5, 1e308, -1e308, "NaN", "Infinity", "", "x".repeat(1000), [], {}, true, [[[]]], { a: 1 }, 2 ** 53, -0];
  if (depth > 12 || value === null || typeof value !== "object" || rng() < 0.15) return pick(rng, WILD);
  if (Array.isArray(value)) {
    const a = [...value];
    if (a.length === 0 || rng() < 0.1) a.push(pick(rng, WILD));
    else if (rng() < 0.1) a.splice(Math.floor(rng() * a.length), 1);
    else {
      const i = Math.floor(rng() * a.length);
      a[i] = mutateJson(rng, a[i], depth + 1);
    }
    return a;
  }
  const o = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(o);
  const r = rng();
  if (keys.length === 0 || r < 0.05) o[pick(rng, ["extra", "__proto__", "constructor", "schema"])] = pick(rng, WILD);
  else if (r < 0.12) delete o[pick(rng, keys)];
  else {
    const k = pick(rng, keys);
    o[k] = mutateJson(rng, o[k], depth + 1);
  }
  return o;
}

function resultsJsonTarget(): FuzzTarget {
  let text = "";
  let tree: unknown = null;
  return {
    name: "results-json",
    setup() {
      text = resultsJsonText(makeResults());
      tree = JSON.parse(text);
    },
    generate: (rng) => enc.encode(rng() < 0.6 ? JSON.stringify(mutateJson(rng, tree)) : mutateText(rng, text)),
    run: (input) =>
      refusing(() => {
        const r = parseResultsJson(dec.decode(input));
        // What fromResultsJson accepts must encode again (the round trip the report relies on).
        toResultsJson(r);
      }),
  };
}

/**
 * A study's results.json (`bnlab study`): the envelope and the covariate-shift
 * study's own result schema, seeded with a tiny real run of the study.
 */
function studyJsonTarget(): FuzzTarget {
  let text = "";
  let tree: unknown = null;
  return {
    name: "study-json",
    setup() {
      const data = syntheticCifar({ numTrain: 40, numVal: 20, numTest: 10, seed: 1 });
      const options = { ...COVARIATE_SHIFT_QUICK, hiddenDims: [6, 6], numTrain: 40, numVal: 20, numEpochs: 1, batchSize: 20, probeEvery: 1, stepSizes: [0.1] };
      const dataset = { source: "synthetic" as const, dir: null, description: "fuzz seed", numTrain: 40, numVal: 20, numTest: 10, warning: null };
      const record = runStudy(covariateShiftStudy, { data, dataset, seed: 1, options, version: "fuzz", kernelPath: "ts" });
      text = studyJsonText(record, covariateShiftStudy);
      tree = JSON.parse(text);
    },
    generate: (rng) => enc.encode(rng() < 0.6 ? JSON.stringify(mutateJson(rng, tree)) : mutateText(rng, text)),
    run: (input) =>
      refusing(() => {
        const r = parseStudyJson(dec.decode(input), covariateShiftStudy);
        toStudyJson(r, covariateShiftStudy); // what is accepted encodes again
      }),
  };
}

/**
 * A study's job file (`bnlab study --resume`, src/node/study-store.ts), seeded with the files
 * of a tiny real run: the first job's file mutated (as JSON or as text), read back with
 * `readStudyJobs`. What is accepted must be the very result that was written (its checksum).
 */
function studyJobTarget(): FuzzTarget {
  let dir = "";
  let text = "";
  let tree: unknown = null;
  let plan: NonNullable<ReturnType<typeof readStudyPlan>> | null = null;
  let written = "";
  return {
    name: "study-job",
    setup() {
      dir = mkdtempSync(join(tmpdir(), "bnlab-fuzz-study-job-"));
      const data = syntheticCifar({ numTrain: 40, numVal: 20, numTest: 10, seed: 1 });
      const options = { ...COVARIATE_SHIFT_QUICK, hiddenDims: [6, 6], numTrain: 40, numVal: 20, numEpochs: 1, batchSize: 20, probeEvery: 1, stepSizes: [0.1] };
      const dataset = { source: "synthetic" as const, dir: null, description: "fuzz seed", numTrain: 40, numVal: 20, numTest: 10, warning: null };
      runStudy(covariateShiftStudy, { data, dataset, seed: 1, options, version: "fuzz", kernelPath: "ts", control: studyJobStore(dir) });
      plan = readStudyPlan(dir);
      if (plan === null) throw new Error("the study wrote no plan");
      for (const name of readdirSync(dir)) if (name.startsWith("job-") && name !== "job-00000.json") rmSync(join(dir, name));
      text = readFileSync(join(dir, "job-00000.json"), "utf8");
      tree = JSON.parse(text);
      written = JSON.stringify(readStudyJobs(dir, plan).get(0)!.part);
    },
    generate: (rng) => enc.encode(rng() < 0.6 ? JSON.stringify(mutateJson(rng, tree)) : mutateText(rng, text)),
    run: (input) =>
      refusing(() => {
        writeFileSync(join(dir, "job-00000.json"), input);
        const job = readStudyJobs(dir, plan!).get(0);
        if (job !== undefined && JSON.stringify(job.part) !== written) throw new FuzzInvariant("a job file with another result was accepted");
      }),
    teardown: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The playground's URL parameters: parseSettings never throws and only ever returns settings in range. */
function urlParamsTarget(): FuzzTarget {
  const VALUES = ["", "0", "-0", "1", "5", "12", "13", "1024", "0x10", "1e3", " 5", "5 ", "+5", "NaN", "Infinity", "-1", "1.5", "%", "%ZZ", "%00", "batchnorm", "none", "adam", "wasm-simd", "file", "sweep", "\u00e9", "4294967295", "4294967296"];
  const keys = Object.values(FIELDS).map((f) => f.key);
  return {
    name: "url-params",
    setup: () => undefined,
    generate(rng) {
      const parts: string[] = [];
      const n = Math.floor(rng() * 6);
      for (let i = 0; i < n; i++) {
        const k = rng() < 0.9 ? pick(rng, keys) : mutateText(rng, pick(rng, keys));
        const v = rng() < 0.7 ? pick(rng, VALUES) : mutateText(rng, pick(rng, VALUES));
        // NOTE: encodeURIComponent throws on a lone surrogate (the mutator makes some); the raw form keeps them.
        const esc = (x: string): string => encodeURIComponent(x.replace(/[\ud800-\udfff]/g, "\ufffd"));
        parts.push(rng() < 0.8 ? `${esc(k)}=${esc(v)}` : `${k}=${v}`);
      }
      const q = parts.join("&");
      return enc.encode(rng() < 0.3 ? mutateText(rng, q) : q);
    },
    run(input) {
      const { settings, problems } = parseSettings(dec.decode(input));
      for (const [name, spec] of Object.entries(FIELDS) as [keyof Settings, (typeof FIELDS)[keyof Settings]][]) {
        const v = settings[name];
        if (spec.kind === "enum") {
          if (!spec.values.includes(v as string)) throw new FuzzInvariant(`${spec.key} = ${JSON.stringify(v)} is not one of its values`);
        } else if (typeof v !== "number" || !Number.isFinite(v) || v < spec.min || v > spec.max || (spec.kind === "int" && !Number.isInteger(v))) {
          throw new FuzzInvariant(`${spec.key} = ${String(v)} outside [${spec.min}, ${spec.max}]`);
        }
      }
      if (!problems.every((p) => typeof p === "string")) throw new FuzzInvariant("a problem that is not a string");
      // A number written any other way than in decimal ("0x10", " 5") is refused, as by the CLI.
      const params = new URLSearchParams(dec.decode(input));
      for (const [name, spec] of Object.entries(FIELDS) as [keyof Settings, (typeof FIELDS)[keyof Settings]][]) {
        const raw = params.get(spec.key);
        if (spec.kind === "int" && raw !== null && raw !== "" && !/^-?\d+$/.test(raw) && settings[name] !== DEFAULTS[name]) {
          throw new FuzzInvariant(`${spec.key}=${JSON.stringify(raw)} was taken as ${String(settings[name])}`);
        }
      }
      const again = parseSettings(settingsToQuery(settings));
      if (again.problems.length > 0 || JSON.stringify(again.settings) !== JSON.stringify(settings)) throw new FuzzInvariant("settings do not survive settingsToQuery → parseSettings");
      return problems.length === 0 ? "parsed" : "refused";
    },
  };
}

/**
 * The playground server's request paths (and now and then its Host header), sent
 * raw over a socket to a server started here on 127.0.0.1. A 4xx is a clean
 * refusal; a 2xx must carry one of the files meant to be served, never the
 * secrets planted beside and outside them; a 5xx or no answer is a failure.
 */
function serverPathTarget(): FuzzTarget {
  const SECRET = "FUZZ-SECRET-MUST-NOT-BE-SERVED";
  const SEEDS = ["/", "/index.html", "/assets/app.js", "/data/data_batch_1.bin", "/data/data_batch_2.bin", "/bnlab-config.json", "/data/secret.txt", "/secret.txt", "/../secret.txt", "/data/../secret.txt", "/assets/../../secret.txt", "/data/data_batch_1.bin?x=1#y"];
  const PIECES = ["..", ".", "/", "%2e", "%2E%2e", "%2f", "%5c", "\\", "%00", "%25", "%252e", "?", "#", ";", "~", "data", "assets", "secret.txt", "index.html", "%c0%ae", "%e0%a4%a", "//", "C:", "%"];
  let dir = "";
  let server: RunningServer | null = null;
  const allowed = new Set<string>();
  return {
    name: "server-path",
    async setup() {
      dir = mkdtempSync(join(tmpdir(), "bnlab-fuzz-serve-"));
      const web = join(dir, "web");
      const bin = join(dir, "data");
      mkdirSync(join(web, "assets"), { recursive: true });
      mkdirSync(bin);
      const files: [string, string][] = [
        [join(web, "index.html"), "<!doctype html><title>fuzz page</title>"],
        [join(web, "assets", "app.js"), "console.log('fuzz app')"],
        [join(bin, "data_batch_1.bin"), "B".repeat(3073)],
      ];
      for (const [p, c] of files) {
        writeFileSync(p, c);
        allowed.add(c);
      }
      writeFileSync(join(bin, "secret.txt"), SECRET);
      writeFileSync(join(dir, "secret.txt"), SECRET);
      symlinkSync(join(dir, "secret.txt"), join(bin, "data_batch_2.bin"));
      server = await startServer({ webRoot: web, binDir: bin, port: 0, host: "127.0.0.1" });
    },
    generate(rng) {
      let path = pick(rng, SEEDS);
      const n = Math.floor(rng() * 4);
      for (let i = 0; i < n; i++) {
        const at = Math.floor(rng() * (path.length + 1));
        path = rng() < 0.7 ? path.slice(0, at) + pick(rng, PIECES) + path.slice(at) : mutateText(rng, path);
      }
      const host = rng() < 0.1 ? pick(rng, ["evil.example", "localhost", "127.0.0.1:1", "[::1]", ""]) : "";
      return enc.encode(`${host}\n${path}`);
    },
    async run(input) {
      const port = server!.port;
      const text = dec.decode(input);
      const nl = text.indexOf("\n");
      const hostPick = text.slice(0, nl);
      const path = text.slice(nl + 1);
      const host = hostPick === "" ? `127.0.0.1:${port}` : hostPick.includes(":") && !hostPick.startsWith("[") ? hostPick : `${hostPick}:${port}`;
      const response = await rawRequest(port, `GET ${path.replace(/[\r\n ]/g, "%20")} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? NaN);
      if (response.includes(SECRET)) throw new FuzzInvariant(`served a secret for ${JSON.stringify(path)} (status ${status})`);
      if (status >= 400 && status < 500) return "refused";
      if (status === 200) {
        const body = response.slice(response.indexOf("\r\n\r\n") + 4);
        // bnlab-config.json goes out chunked (no Content-Length): its JSON sits inside the chunk framing.
        if (!allowed.has(body) && !body.includes('{"defaultSource"') && body !== "") throw new FuzzInvariant(`200 with an unexpected body for ${JSON.stringify(path)}`);
        return "parsed";
      }
      if (status === 304) return "parsed";
      throw new Error(`status ${Number.isNaN(status) ? "none" : status} for ${JSON.stringify(path)}: ${JSON.stringify(response.slice(0, 80))}`);
    },
    async teardown() {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer within 5 s")));
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    // NOTE: write, not end: a half-closed client socket lets node's server drop a response still streaming.
    socket.write(Buffer.from(request, "latin1"));
  });
}

/**
 * A checkpoint file (src/node/checkpoint.ts), seeded with two small real ones. Half the
 * inputs are raw byte mutations (mostly stopped by the SHA-256); the other half mutate the
 * header or the state JSON and then sign it again, so the structural checks behind the
 * checksum are reached too. What decodes must encode and decode again.
 */
function checkpointTarget(): FuzzTarget {
  let pool: Uint8Array[] = [];
  return {
    name: "checkpoint",
    setup() {
      pool = [];
      const data = syntheticCifar({ numTrain: 20, numVal: 10, numTest: 10, seed: 2 });
      for (const [normalization, updateRule] of [["batchnorm", "adam"], [null, "sgdMomentum"]] as const) {
        const rng = new RandomState(1);
        const net = new FullyConnectedNet({ hiddenDims: [3], normalization, rng });
        new Solver(net, data, { updateRule, batchSize: 10, numEpochs: 1, rng, backgroundChecks: false, onCheckpoint: (st) => void pool.push(encodeCheckpoint(st)) }).train();
      }
    },
    generate(rng) {
      const base = pick(rng, pool);
      if (rng() < 0.5) return mutateBytes(rng, base, pool);
      return resign(rng, base);
    },
    run: (input) =>
      refusing(() => {
        const st = decodeCheckpoint(input, "latest.safetensors");
        decodeCheckpoint(encodeCheckpoint(st), "re-encoded.safetensors");
      }),
  };
}

/** A checkpoint with its header (an entry, or the state JSON) mutated and its SHA-256 recomputed. */
function resign(rng: Rng, bytes: Uint8Array): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  const header = JSON.parse(dec.decode(bytes.subarray(8, 8 + n))) as Record<string, unknown> & { __metadata__: Record<string, string> };
  const body = bytes.subarray(8 + n);
  const meta = header.__metadata__;
  if (rng() < 0.6) meta["state"] = JSON.stringify(mutateJson(rng, JSON.parse(meta["state"]!)));
  else {
    const keys = Object.keys(header).filter((k) => k !== "__metadata__");
    const k = pick(rng, keys);
    header[k] = mutateJson(rng, header[k]);
  }
  meta["sha256"] = createHash("sha256").update(meta["state"] ?? "", "utf8").update(body).digest("hex");
  const h = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(body, 8 + h.length);
  return out;
}

/** Every target, in the order the runner cycles through them. */
export function fuzzTargets(): FuzzTarget[] {
  return [
    binaryBatchTarget, binaryMetaTarget, pickleBatchTarget, pickleMetaTarget, archiveTarget(), resultsJsonTarget(), studyJsonTarget(), urlParamsTarget(),
    serverPathTarget(), checkpointTarget(), studyJobTarget(),
  ];
}
