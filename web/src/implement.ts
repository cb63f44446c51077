/**
 * The Implement tab: a CodeMirror editor holding the learner's layers (the
 * starter of `bnlab exercise init`, in JavaScript or TypeScript), kept in
 * localStorage only. Check runs the exercise's checks in a Web Worker, one at a
 * time with a time limit each (a check past its limit ends the worker; the rest run
 * in a fresh one), and lists each result with its diagnosis. Errors get markers
 * in the editor's gutter.
 */
import { javascript } from "@codemirror/lang-javascript";
import { forceLinting, lintGutter, linter, type Diagnostic } from "@codemirror/lint";
import { basicSetup, EditorView } from "codemirror";
import { EXERCISE_CHECKS, compileLearnerSource, fmtErr, LearnerModuleError, timeoutResult } from "../../src/index.js";
import { starterModule } from "../../src/index.js";
import type { CheckResult } from "../../src/index.js";
import type { FromCheckWorker, ToCheckWorker } from "./exercise-worker.js";
import { el } from "./controls.js";

type Language = "js" | "ts";
const STORE = { js: "bnlab.implement.layers.js", ts: "bnlab.implement.layers.ts", language: "bnlab.implement.language" };

/** A line-based error marker (1-based line; column optional). */
interface Marker {
  line: number;
  column: number | null;
  message: string;
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** The frames of a stack that point into `filename`: its line and column. */
function framesIn(stack: string, filename: string): { line: number; column: number }[] {
  const re = new RegExp(`${filename.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+):(\\d+)`, "g");
  return [...stack.matchAll(re)].map((m) => ({ line: Number(m[1]), column: Number(m[2]) }));
}

export class ImplementTab {
  readonly view: EditorView;
  private language: Language;
  private markers: Marker[] = [];
  private worker: Worker | null = null;
  private running = false;
  /** Results of the last Check, for tests and the console. */
  results: CheckResult[] = [];
  /** True while a Check runs. */
  get busy(): boolean {
    return this.running;
  }

  constructor(
    private readonly onTrain: (learner: { source: string; filename: string }) => void,
  ) {
    const store = storage();
    this.language = store?.getItem(STORE.language) === "ts" ? "ts" : "js";
    const lang = el<HTMLSelectElement>("impl-language");
    lang.value = this.language;
    this.view = new EditorView({
      doc: this.savedSource(this.language),
      extensions: [
        basicSetup,
        javascript({ typescript: true }),
        lintGutter(),
        linter((view) => this.diagnostics(view), { delay: 400 }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) storage()?.setItem(STORE[this.language], u.state.doc.toString());
        }),
      ],
      parent: el("impl-editor"),
    });
    lang.addEventListener("change", () => this.switchLanguage(lang.value === "ts" ? "ts" : "js"));
    el("impl-check").addEventListener("click", () => void this.check());
    el("impl-stop").addEventListener("click", () => this.stop("stopped"));
    el("impl-train").addEventListener("click", () => this.onTrain({ source: this.source(), filename: this.filename() }));
    el("impl-reset").addEventListener("click", () => {
      if (!confirm("Replace your code with the starter? (Your code is lost.)")) return;
      this.setSource(starterModule(this.language).text);
    });
  }

  filename(): string {
    return starterModule(this.language).name;
  }

  source(): string {
    return this.view.state.doc.toString();
  }

  setSource(text: string): void {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
  }

  private savedSource(language: Language): string {
    return storage()?.getItem(STORE[language]) ?? starterModule(language).text;
  }

  private switchLanguage(language: Language): void {
    storage()?.setItem(STORE[this.language], this.source());
    this.language = language;
    storage()?.setItem(STORE.language, language);
    this.setSource(this.savedSource(language));
  }

  /** The gutter's markers: a syntax error now, and the errors of the last Check. */
  private diagnostics(view: EditorView): Diagnostic[] {
    const doc = view.state.doc;
    const out: Diagnostic[] = [];
    const at = (m: Marker, severity: "error" | "warning"): Diagnostic => {
      const line = doc.line(Math.min(Math.max(1, m.line), doc.lines));
      const from = m.column === null ? line.from : Math.min(line.to, line.from + m.column - 1);
      return { from, to: Math.max(from, line.to), severity, message: m.message };
    };
    try {
      compileLearnerSource(doc.toString(), this.filename());
    } catch (err) {
      if (err instanceof LearnerModuleError && err.line !== null) out.push(at({ line: err.line, column: err.column, message: err.message }, "error"));
    }
    for (const m of this.markers) out.push(at(m, "error"));
    return out;
  }

  /** Ends a running Check. */
  stop(why: string): void {
    this.worker?.terminate();
    this.worker = null;
    if (this.running) this.setStatus(`Check ${why}.`);
    this.running = false;
    this.buttons();
  }

  private setStatus(text: string): void {
    el("impl-status").textContent = text;
  }

  private buttons(): void {
    el<HTMLButtonElement>("impl-check").disabled = this.running;
    el<HTMLButtonElement>("impl-stop").disabled = !this.running;
  }

  private limitMs(): number {
    const v = Number(el<HTMLInputElement>("impl-limit").value);
    return Number.isFinite(v) && v > 0 ? v * 1000 : 10_000;
  }

  /** Runs every check on the editor's code; resolves when all have a result. */
  async check(): Promise<CheckResult[]> {
    this.stop("replaced");
    const source = this.source();
    const filename = this.filename();
    const limit = this.limitMs();
    this.markers = [];
    this.results = [];
    const list = el("impl-results");
    list.replaceChildren();
    this.running = true;
    this.buttons();
    let pending = EXERCISE_CHECKS.map((c) => c.id);
    while (pending.length > 0 && this.running) {
      this.setStatus(`Checking … ${this.results.length} of ${EXERCISE_CHECKS.length} done.`);
      const outcome = await this.runWorker(source, filename, pending, limit, (r) => {
        pending = pending.filter((id) => id !== r.id);
        this.add(r);
      });
      if (outcome.loadError !== null) {
        this.markers.push({ line: outcome.loadError.line ?? 1, column: outcome.loadError.column, message: outcome.loadError.message });
        this.setStatus(`Your code did not load: ${outcome.loadError.message}`);
        this.refreshMarkers();
        this.running = false;
        this.buttons();
        return this.results;
      }
      if (outcome.timedOut === null) break;
      const check = EXERCISE_CHECKS.find((c) => c.id === outcome.timedOut)!;
      pending = pending.filter((id) => id !== check.id);
      this.add(timeoutResult(check, limit));
    }
    const count = (s: CheckResult["status"]): number => this.results.filter((r) => r.status === s).length;
    if (this.running) this.setStatus(`${count("pass")} passed, ${count("fail") + count("error") + count("timeout")} failed, ${count("not implemented")} not implemented.`);
    this.running = false;
    this.buttons();
    this.refreshMarkers();
    return this.results;
  }

  private runWorker(
    source: string,
    filename: string,
    ids: string[],
    limit: number,
    onResult: (r: CheckResult) => void,
  ): Promise<{ loadError: { message: string; line: number | null; column: number | null } | null; timedOut: string | null }> {
    return new Promise((resolve) => {
      const worker = new Worker(new URL("./exercise-worker.ts", import.meta.url), { type: "module", name: "bnlab-exercise" });
      this.worker = worker;
      let timer: ReturnType<typeof setTimeout> | null = null;
      const finish = (v: { loadError: { message: string; line: number | null; column: number | null } | null; timedOut: string | null }): void => {
        if (timer) clearTimeout(timer);
        worker.terminate();
        if (this.worker === worker) this.worker = null;
        resolve(v);
      };
      worker.onmessage = (e: MessageEvent<FromCheckWorker>) => {
        const m = e.data;
        if (m.type === "ready") {
          // The module's top-level code has the limit of one check too.
          timer = setTimeout(() => finish({ loadError: { message: `loading your code took longer than ${(limit / 1000).toFixed(1)} s (an endless loop at the top level?)`, line: null, column: null }, timedOut: null }), limit);
        } else if (m.type === "start") {
          if (timer) clearTimeout(timer);
          // NOTE: terminate() ends the worker even inside an endless loop of the learner's code.
          timer = setTimeout(() => finish({ loadError: null, timedOut: m.id }), limit);
        } else if (m.type === "result") {
          if (timer) clearTimeout(timer);
          timer = null;
          onResult(m.result);
        } else if (m.type === "done") finish({ loadError: null, timedOut: null });
        else finish({ loadError: { message: m.message, line: m.line, column: m.column }, timedOut: null });
      };
      worker.onerror = (e) => finish({ loadError: { message: e.message || "the check worker failed", line: null, column: null }, timedOut: null });
      const msg: ToCheckWorker = { source, filename, ids };
      worker.postMessage(msg);
    });
  }

  private refreshMarkers(): void {
    forceLinting(this.view);
  }

  /** Adds a result to the list (and an error marker at the learner's frame, if any). */
  private add(r: CheckResult): void {
    this.results.push(r);
    if (r.message !== null && r.status === "error") {
      const [frame] = framesIn(r.message, this.filename());
      if (frame) this.markers.push({ line: frame.line, column: frame.column, message: `${r.id}: ${r.message.split("\n")[0]}` });
    }
    const li = document.createElement("li");
    li.className = `check ${r.status.replace(" ", "-")}`;
    li.dataset.id = r.id;
    li.dataset.status = r.status;
    const head = document.createElement("div");
    const mark = document.createElement("strong");
    mark.className = "mark";
    mark.textContent = { pass: "PASS", fail: "FAIL", error: "ERROR", timeout: "TIMEOUT", "not implemented": "TODO" }[r.status];
    const title = document.createElement("span");
    title.textContent = ` ${r.title}`;
    head.append(mark, title);
    if (r.error !== null) {
      const fig = document.createElement("span");
      fig.className = "figures";
      fig.textContent = `  error ${fmtErr(r.error)}${r.threshold !== null ? ` (threshold ${fmtErr(r.threshold)})` : ""}`;
      head.append(fig);
    }
    li.append(head);
    const line = (cls: string, text: string): void => {
      const p = document.createElement("p");
      p.className = cls;
      p.textContent = text;
      li.append(p);
    };
    if (r.status === "not implemented") line("note", r.message ?? "");
    for (const n of r.notes) line("note", n);
    if (r.diagnosis) {
      line("diagnosis", `wrong: ${r.diagnosis.wrong.join(", ")}. ${r.diagnosis.detail}`);
      if (r.diagnosis.cause) line("cause", `likely cause: ${r.diagnosis.cause}`);
    }
    if (r.message !== null && r.status !== "not implemented") line("message", r.message);
    el("impl-results").append(li);
  }
}
