/**
 * A study's grid survives an interruption: with a job store (src/node/study-store.ts)
 * every finished job is a file; a run stopped after k jobs and resumed runs only the
 * other jobs and ends with the result of the run that was never stopped, byte for byte,
 * for every registered study (on this thread and on two workers), and for the studies of
 * `reproduce --extended`. A folder of another run is refused, naming what differs.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataFormatError, OptionError } from "../src/core/errors.js";
import { syntheticCifar } from "../src/data/synthetic.js";
import { reproduceConfig, runReproduce } from "../src/experiments/reproduce.js";
import { getKernelPath } from "../src/kernels/index.js";
import { decodeExact, encodeExact, readStudyPlan, studyJobStore } from "../src/node/study-store.js";
import { encodeNonFinite } from "../src/report/schema.js";
import { studyJsonText } from "../src/studies/json.js";
import { runStudyParallel } from "../src/studies/pool.js";
import { getStudy, STUDIES } from "../src/studies/registry.js";
import { prepareStudy, runStudy, type RunStudyOptions, type StudyRecord, type StudyRunControl } from "../src/studies/study.js";
import { TINY_STUDY_OPTIONS, tinyExtendedConfig } from "./helpers/tiny-studies.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-study-resume-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const data = syntheticCifar({ numTrain: 60, numVal: 30, numTest: 10, seed: 2 });
const dataset = { source: "synthetic" as const, dir: null, description: "synthetic test data", numTrain: 60, numVal: 30, numTest: 10, warning: null };
const runOptions = (name: string, extra: Partial<RunStudyOptions & { jobs: number }> = {}): RunStudyOptions & { jobs?: number } => ({
  data,
  dataset,
  seed: 231,
  quick: true,
  options: TINY_STUDY_OPTIONS[name],
  version: "test",
  kernelPath: getKernelPath(),
  ...extra,
});

const jobFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => /^job-\d+\.json$/.test(f)).sort() : []);
const fileTexts = (dir: string): Map<string, string> => new Map(jobFiles(dir).map((f) => [f, readFileSync(join(dir, f), "utf8")]));

/** The record's JSON text without what differs between any two runs (the date, the timings, the worker count). */
function stableJson(record: StudyRecord): string {
  const study = getStudy(record.study);
  const j = JSON.parse(studyJsonText(record, study)) as Record<string, unknown>;
  delete j["createdAt"];
  delete j["timings"];
  (j["settings"] as Record<string, unknown>)["jobs"] = null;
  return JSON.stringify(j);
}

/** A control that counts the jobs run through it and forwards to `store`; with `stopAfter`, the next job's write throws (a kill). */
function counting(store: StudyRunControl, stopAfter = Infinity): { control: StudyRunControl; ran: number[] } {
  const ran: number[] = [];
  const control: StudyRunControl = {
    check: (p) => store.check!(p),
    start: (p) => store.start!(p),
    onJob: (job, part, seconds) => {
      if (ran.length === stopAfter) throw new Error("killed");
      ran.push(job.index);
      store.onJob!(job, part, seconds);
    },
  };
  return { control, ran };
}

describe("a study run stopped after k jobs and resumed", () => {
  for (const study of STUDIES) {
    // Two workers where the grid is largest; this thread elsewhere.
    const workers = study.name === "learning-rate" || study.name === "batch-size" ? 2 : 1;
    it(`${study.name}: runs only the unfinished jobs and gives the uninterrupted result byte for byte (${workers} worker(s))`, async () => {
      const whole = runStudy(study, runOptions(study.name));
      const n = prepareStudy(study, runOptions(study.name)).jobs.length;
      expect(n).toBeGreaterThanOrEqual(2);
      const k = Math.floor(n / 2);
      const dir = join(tmp, study.name);

      const first = counting(studyJobStore(dir), k);
      expect(() => runStudy(study, runOptions(study.name, { control: first.control }))).toThrow("killed");
      expect(first.ran).toEqual(Array.from({ length: k }, (_, i) => i));
      const kept = fileTexts(dir);
      expect(kept.size).toBe(k);

      const second = counting(studyJobStore(dir, { resume: true }));
      const resumed = await runStudyParallel(study, runOptions(study.name, { control: second.control, jobs: workers }));
      // Only the jobs without a file ran; the finished ones' files are untouched and their seconds reused.
      expect([...second.ran].sort((a, b) => a - b)).toEqual(Array.from({ length: n - k }, (_, i) => k + i));
      for (const [f, text] of kept) expect(readFileSync(join(dir, f), "utf8")).toBe(text);
      expect(jobFiles(dir)).toHaveLength(n);
      const firstJob = JSON.parse(kept.get("job-00000.json")!) as { label: string; seconds: number };
      expect(resumed.timings[firstJob.label]).toBe(firstJob.seconds);

      expect(JSON.stringify(encodeNonFinite(resumed.result))).toBe(JSON.stringify(encodeNonFinite(whole.result)));
      expect(stableJson(resumed)).toBe(stableJson(whole));
    });
  }

  it("a resume finds every job done and runs none; a damaged job file is refused naming it; a killed writer's temporary is removed", async () => {
    const study = getStudy("learning-rate");
    const dir = join(tmp, "learning-rate");
    const whole = runStudy(study, runOptions(study.name));
    const again = counting(studyJobStore(dir, { resume: true }));
    expect(stableJson(runStudy(study, runOptions(study.name, { control: again.control })))).toBe(stableJson(whole));
    expect(again.ran).toEqual([]);

    const stale = join(dir, "job-00001.json.tmp-999999999-abc");
    writeFileSync(stale, '{"format": "bnlab-st');
    const file = join(dir, "job-00002.json");
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.slice(0, text.length / 2));
    const broken = () => runStudy(study, runOptions(study.name, { control: studyJobStore(dir, { resume: true }) }));
    expect(broken).toThrow(DataFormatError);
    expect(broken).toThrow(`${file}: not valid JSON`);
    expect(existsSync(stale)).toBe(false);
    writeFileSync(file, text.replace(/"label": "[^"]*"/, '"label": "another job"'));
    expect(broken).toThrow(`${file}: not a finished job 2`);
    // One digit of the result changed, the JSON still valid: refused by its checksum.
    const at = text.slice(text.indexOf('"part"')).search(/[0-9]/) + text.indexOf('"part"');
    writeFileSync(file, text.slice(0, at) + String((Number(text[at]) + 1) % 10) + text.slice(at + 1));
    expect(broken).toThrow(`${file}: job 2's result does not match the checksum it was written with`);
    writeFileSync(file, text);
  });

  it("a folder of another run is refused when resuming (naming what differs) and replaced otherwise", () => {
    const study = getStudy("learning-rate");
    const dir = join(tmp, "learning-rate");
    const tiny = TINY_STUDY_OPTIONS["learning-rate"] as Record<string, unknown>;
    const resumeWith = (extra: Partial<RunStudyOptions>) => () => runStudy(study, runOptions(study.name, { ...extra, control: studyJobStore(dir, { resume: true }) }));
    expect(resumeWith({ options: { ...tiny, numEpochs: 2 } })).toThrow(OptionError);
    expect(resumeWith({ options: { ...tiny, numEpochs: 2 } })).toThrow(
      `invalid --resume: expected a folder for this study run (${dir} holds the jobs of another study run, which differs in options.numEpochs (1 there, 2 here)), got "${dir}"`,
    );
    expect(resumeWith({ seed: 7 })).toThrow("which differs in seed (231 there, 7 here)");
    const otherData = syntheticCifar({ numTrain: 60, numVal: 30, numTest: 10, seed: 3 });
    expect(resumeWith({ data: otherData })).toThrow(/which differs in data\.sha256 \("[0-9a-f]{6}/);
    expect(resumeWith({ kernelPath: "another-kernel-path" })).toThrow('kernelPath ("');
    // The refusals changed nothing; a fresh run with other options replaces the folder's jobs.
    expect(jobFiles(dir).length).toBe(12);
    const before = readStudyPlan(dir)!.key;
    const fresh = counting(studyJobStore(dir));
    runStudy(study, runOptions(study.name, { seed: 7, control: fresh.control }));
    expect(readStudyPlan(dir)!.key).not.toBe(before);
    expect(readStudyPlan(dir)!.seed).toBe(7);
    expect(jobFiles(dir)).toHaveLength(fresh.ran.length);
  });

  it("stores parts exactly: NaN, ±Infinity and −0 come back as they were", () => {
    const part = { a: [1.5, -0, 0, NaN, Infinity, -Infinity, 0.1 + 0.2, Number.MIN_VALUE], b: { c: -0, d: "x" }, e: undefined };
    const back = decodeExact(JSON.parse(JSON.stringify(encodeExact(part)))) as { a: number[]; b: { c: number }; e?: unknown };
    expect(back.a.map((x) => Object.is(x, -0) ? "-0" : x)).toEqual(part.a.map((x) => Object.is(x, -0) ? "-0" : x));
    expect(Object.is(back.b.c, -0)).toBe(true);
    expect("e" in back).toBe(false);
  });
});

describe("reproduce --extended, its studies resumed", () => {
  it("runs only the studies' jobs without a file, the studies' records byte-identical to the first run's", async () => {
    const config = tinyExtendedConfig();
    const root = join(tmp, "extended");
    const ran = new Map<string, number[]>();
    const control = (resume: boolean) => (s: { name: string }): StudyRunControl => {
      const c = counting(studyJobStore(join(root, s.name), { resume }));
      ran.set(s.name, c.ran);
      return c.control;
    };
    const run = (resume: boolean) => runReproduce({ data, dataset, quick: true, extended: true, jobs: 1, version: "test", config, studyControl: control(resume) });
    const first = await run(false);
    const counts = new Map([...ran].map(([k, v]) => [k, v.length]));
    // Jobs lost in a kill: the last two of learning-rate's and the first of batch-size's.
    const lost = { "learning-rate": [counts.get("learning-rate")! - 2, counts.get("learning-rate")! - 1], "batch-size": [0] };
    for (const [name, idx] of Object.entries(lost)) for (const i of idx) rmSync(join(root, name, `job-${String(i).padStart(5, "0")}.json`));

    const second = await run(true);
    for (const s of STUDIES) expect(ran.get(s.name), s.name).toEqual(lost[s.name as keyof typeof lost] ?? []);
    expect(second.studies!.map(stableJson)).toEqual(first.studies!.map(stableJson));
  });

  it("a studies' folder of another run is refused before the first cell", async () => {
    const cells: string[] = [];
    const config = { ...reproduceConfig(true, true), studies: { ...TINY_STUDY_OPTIONS, "test-time": { ...(TINY_STUDY_OPTIONS["test-time"] as object), batchSizes: [2, 5] } } };
    const attempt = runReproduce({
      data,
      dataset,
      quick: true,
      extended: true,
      version: "test",
      config,
      studyControl: (s) => studyJobStore(join(tmp, "extended", s.name), { resume: true }),
      onCell: (ev) => cells.push(ev.cell),
    });
    await expect(attempt).rejects.toThrow(/invalid --resume: .*extended\/test-time holds the jobs of another study run, which differs in options\.batchSizes \(\[2,10\] there, \[2,5\] here\)/);
    expect(cells).toEqual([]);
  });
});
