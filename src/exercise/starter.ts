/**
 * The files of a starter folder (`bnlab exercise init`): the module to fill in,
 * a short README and a package.json that depends on bnlab. Plain strings, so the
 * page can offer the same starter. Browser-safe.
 */
import { stripTypes } from "./module.js";
import { STARTER_TS } from "./starter-source.js";

/** The starter module: TypeScript (default) or JavaScript. */
export function starterModule(language: "ts" | "js"): { name: string; text: string } {
  return language === "ts" ? { name: "layers.ts", text: STARTER_TS } : { name: "layers.js", text: stripTypes(STARTER_TS) };
}

/** Every file of a starter folder, by name. */
export function starterFiles(language: "ts" | "js", bnlabVersion: string): Record<string, string> {
  const mod = starterModule(language);
  const pkg = {
    name: "bnlab-exercise",
    private: true,
    type: "module",
    description: "The CS231n batch-normalization assignment, checked by bnlab",
    scripts: { check: "bnlab exercise check", train: "bnlab exercise run" },
    dependencies: { bnlab: `^${bnlabVersion}` },
  };
  const readme = `# Batch normalization, by hand

Write the layers of the CS231n batch-normalization assignment yourself in \`${mod.name}\`,
and let bnlab check them the way the notebook does.

\`\`\`sh
npm install                        # installs bnlab
npx bnlab exercise check           # every check: pass, fail (with a diagnosis) or not implemented
npx bnlab exercise check --only cell1            # one check (an id, a prefix, or a function name)
npx bnlab exercise check --only batchnormBackward
npx bnlab exercise run --quick     # cells 6 and 7: train the notebook's nets on your layers, write a report
\`\`\`

The functions, in the order of the assignment (each throws "not implemented" until you write it;
its comment gives the contract, the shapes and hints):

| function | notebook | checked by |
|---|---|---|
| \`batchnormForward\` | batch norm, forward (train and test mode, running averages) | cell1, cell2, forward-* |
| \`batchnormBackward\` | the staged backward pass, node by node | cell3, backward-reference, cell4 |
| \`batchnormBackwardAlt\` | the closed-form backward pass | cell3-alt, backward-alt-reference, cell4, cell5 |
| \`layernormForward\`, \`layernormBackward\` | layer normalization | layernorm-* |
| \`affineNormReluForward\`, \`affineNormReluBackward\` | the affine – batch norm – ReLU sandwich | sandwich, sandwich-net |

\`exercise check\` exits with 0 when everything you implemented passes, 1 otherwise. Your code runs in a
worker thread with a time limit per check (\`--timeout MS\`), so an endless loop ends that check only.
${language === "ts" ? "TypeScript needs no set-up: bnlab strips the types itself.\n" : ""}
Only \`import … from "bnlab"\` is available to the module (Tensor, affineForward, reluForward, … :
bnlab's own API, the very classes the checks use).

With a numpy solution of the assignment at hand you can compare number for number: bnlab's float64
runs replay numpy's (\`npx bnlab exercise run --dtype float64 --seed 231\`, or
\`npx bnlab reproduce --dtype float64\` for bnlab's own layers).
`;
  return { [mod.name]: mod.text, "README.md": readme, "package.json": `${JSON.stringify(pkg, null, 2)}\n` };
}
