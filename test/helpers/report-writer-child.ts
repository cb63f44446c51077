/**
 * A child process for test/report-write.test.ts: writes the report folder argv[2]
 * over and over, each generation's files all stamped with the same number, until
 * it is killed. Prints "ready" after the first complete write.
 */
import { writeReportDir } from "../../src/report/report-dir.js";

const dir = process.argv[2]!;
const pad = "x".repeat(200_000); // big enough that a kill often lands mid-write
for (let gen = 0; ; gen++) {
  const stamp = `generation ${gen}\n`;
  writeReportDir(dir, [
    { path: "figures/a.svg", data: stamp + pad },
    { path: "figures/a.png", data: stamp + pad },
    { path: "figures/b.svg", data: stamp + pad },
    { path: "results.json", data: stamp },
    { path: "report.html", data: stamp + pad },
  ]);
  if (gen === 0) process.stdout.write("ready\n");
}
