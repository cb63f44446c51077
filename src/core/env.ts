/**
 * Reading an environment variable from code that also runs in pages and Deno.
 * No Node API: `process` is looked up on globalThis.
 */

/**
 * The variable `name` when set and not empty; undefined where there is no `process`
 * (pages) and where reading the environment is refused (Deno without --allow-env throws).
 */
export function readEnv(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  let v: string | undefined;
  try {
    v = proc?.env?.[name];
  } catch {
    v = undefined;
  }
  return v === undefined || v === "" ? undefined : v;
}
