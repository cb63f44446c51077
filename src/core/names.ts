/**
 * The named choices that the library, the CLI, the playground and the report share,
 * each defined once here with its labels: the normalizations and the update rules.
 * Adding a normalization (or a rule) to the table adds it to every list, parser,
 * validation message, legend and menu derived from it (its computation still has to be
 * written where it runs). No imports: any module, browser or Node, may use this one.
 */

/** How a normalization is named in each place it is shown. */
export interface NormInfo {
  /** Legend and table label, as the notebook names its lines ("baseline", "batchnorm"). */
  readonly label: string;
  /** In a sentence of the written answer ("the baseline", "batch norm"). */
  readonly prose: string;
  /** In the playground's menus ("no normalization", "batch norm"). */
  readonly menu: string;
  /** Its color in every figure, so a method keeps its color across figures. */
  readonly color: string;
}

/**
 * The normalizations, in the order lists, legends and menus show them. "none" is the
 * plain net: `FullyConnectedNet` takes it as `normalization: null` (see `netNormalization`).
 */
export const NORMALIZATIONS = {
  none: { label: "baseline", prose: "the baseline", menu: "no normalization", color: "#1f77b4" },
  batchnorm: { label: "batchnorm", prose: "batch norm", menu: "batch norm", color: "#ff7f0e" },
  layernorm: { label: "layernorm", prose: "layer norm", menu: "layer norm", color: "#2ca02c" },
  groupnorm: { label: "groupnorm", prose: "group norm", menu: "group norm", color: "#d62728" },
  batchrenorm: { label: "batchrenorm", prose: "batch renorm", menu: "batch renorm", color: "#9467bd" },
} as const satisfies Readonly<Record<string, NormInfo>>;

/** A normalization's name, "none" included (experiments, results.json, the CLI, the page). */
export type NormKind = keyof typeof NORMALIZATIONS;

/** The value of `FullyConnectedNetOptions.normalization`: a kind other than "none", or null for none. */
export type Normalization = Exclude<NormKind, "none"> | null;

/** Every kind, in table order ("none" first). */
export const NORM_KINDS: readonly NormKind[] = Object.freeze(Object.keys(NORMALIZATIONS) as NormKind[]);

/** The kinds a net inserts (every kind but "none"), in table order. */
export const NET_NORMALIZATIONS: readonly Exclude<NormKind, "none">[] = Object.freeze(
  NORM_KINDS.filter((k): k is Exclude<NormKind, "none"> => k !== "none"),
);

/** The legend label of each kind. */
export const NORM_LABELS: Readonly<Record<NormKind, string>> = Object.freeze(mapKinds((k) => NORMALIZATIONS[k].label));

/** Whether `v` is a kind name ("none" included). */
export function isNormKind(v: unknown): v is NormKind {
  return typeof v === "string" && Object.hasOwn(NORMALIZATIONS, v);
}

/** Whether `v` is a valid `FullyConnectedNetOptions.normalization` (null or a kind other than "none"). */
export function isNormalization(v: unknown): v is Normalization {
  return v === null || (isNormKind(v) && v !== "none");
}

/** What `normalization` accepts, as an error message says it: 'null, "batchnorm" or "layernorm"'. */
export const NORMALIZATION_EXPECTED = orList(["null", ...NET_NORMALIZATIONS.map((k) => JSON.stringify(k))]);

/** The net's option for a kind ("none" → null). */
export function netNormalization(kind: NormKind): Normalization {
  return kind === "none" ? null : kind;
}

/** The kind of a net's option (null → "none"). */
export function normKindOf(n: Normalization): NormKind {
  return n ?? "none";
}

/** The update rules (src/optim), in the order the assignment introduces them, with their menu labels. */
export const UPDATE_RULES = {
  sgd: { label: "SGD" },
  sgdMomentum: { label: "SGD + momentum" },
  rmsprop: { label: "RMSprop" },
  adam: { label: "Adam" },
} as const satisfies Readonly<Record<string, { readonly label: string }>>;

/** The names `getUpdateRule` accepts (besides the assignment's snake_case aliases). */
export type UpdateRuleName = keyof typeof UPDATE_RULES;

/** The rule names, in table order. */
export const UPDATE_RULE_NAMES: readonly UpdateRuleName[] = Object.freeze(Object.keys(UPDATE_RULES) as UpdateRuleName[]);

/** Whether `v` is a rule name. */
export function isUpdateRuleName(v: unknown): v is UpdateRuleName {
  return typeof v === "string" && Object.hasOwn(UPDATE_RULES, v);
}

function mapKinds<T>(f: (k: NormKind) => T): Record<NormKind, T> {
  return Object.fromEntries(NORM_KINDS.map((k) => [k, f(k)])) as Record<NormKind, T>;
}

/** "a", "a or b", "a, b or c". */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)!}`;
}
