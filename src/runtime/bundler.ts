/**
 * Bun's bundler, which the compiled binary contains (`Bun.build` works in
 * it): for `handler check` (syntax errors with file:line:column, which
 * `import()` reports only as "N errors building") and `handler bundle` (a
 * handler and its npm dependencies as one file). Not available on Deno.
 */

/** One problem the bundler found, with its place in the source when known. */
export interface BundleMessage {
  readonly level: "error" | "warning";
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly lineText?: string;
}

/** The bundle of one module: its code, or why there is none. */
export type BundleResult = { readonly ok: true; readonly code: string; readonly files: number; readonly messages: readonly BundleMessage[] } | { readonly ok: false; readonly messages: readonly BundleMessage[] };

interface BunBuildLog {
  readonly level?: string;
  readonly message?: string;
  readonly position?: { readonly file?: string; readonly line?: number; readonly column?: number; readonly lineText?: string } | null;
}

interface BunBuildApi {
  build(options: { entrypoints: string[]; target: "bun"; format: "esm"; minify?: boolean; throw?: boolean }): Promise<{
    success: boolean;
    logs: BunBuildLog[];
    outputs: Array<{ text(): Promise<string> }>;
  }>;
}

function toMessage(log: BunBuildLog): BundleMessage {
  const position = log.position ?? undefined;
  return {
    level: log.level === "error" ? "error" : "warning",
    message: log.message ?? String(log),
    ...(position?.file !== undefined ? { file: position.file } : {}),
    ...(position?.line !== undefined ? { line: position.line } : {}),
    ...(position?.column !== undefined ? { column: position.column } : {}),
    ...(position?.lineText !== undefined ? { lineText: position.lineText } : {}),
  };
}

/** Bundles the module at the absolute path `entry` with everything it imports (node: built-ins stay imports). */
export async function bundleModule(entry: string): Promise<BundleResult> {
  const bun = (globalThis as { Bun?: BunBuildApi }).Bun;
  if (bun === undefined) throw new Error("Cannot bundle a handler on this runtime: Bun's bundler is needed; use the compiled rp-server or rp-client");
  let result: Awaited<ReturnType<BunBuildApi["build"]>>;
  try {
    result = await bun.build({ entrypoints: [entry], target: "bun", format: "esm", throw: false });
  } catch (error) {
    // Older Bun throws an AggregateError of build messages instead of returning them.
    const errors = (error as { errors?: BunBuildLog[] }).errors;
    if (Array.isArray(errors)) return { ok: false, messages: errors.map(toMessage) };
    throw error;
  }
  const messages = result.logs.map(toMessage);
  if (!result.success || result.outputs.length === 0) return { ok: false, messages };
  return { ok: true, code: await result.outputs[0]!.text(), files: result.outputs.length, messages };
}
