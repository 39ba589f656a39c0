/** How the multi-call binary (src/cli/restpipe.ts) picks its program: by the name it was called by, else by the first argument. */

/** Which program a multi-call command line runs, and its arguments; undefined: neither was named. */
export function pickProgram(argv0: string, argv: readonly string[]): { program: "rp-server" | "rp-client"; argv: readonly string[] } | undefined {
  const name = (argv0.split(/[\\/]/).pop() ?? "").replace(/\.exe$/i, "");
  if (name.startsWith("rp-server")) return { program: "rp-server", argv };
  if (name.startsWith("rp-client")) return { program: "rp-client", argv };
  if (argv[0] === "server") return { program: "rp-server", argv: argv.slice(1) };
  if (argv[0] === "client") return { program: "rp-client", argv: argv.slice(1) };
  return undefined;
}
