/**
 * The multi-call entry point of the release builds: one binary per target
 * holds both programs (the runtime is ~100 MB of each binary, so two would
 * carry it twice). `restpipe server ...` / `restpipe client ...`, or the
 * binary under the name `rp-server` / `rp-client` (a link or a copy:
 * argv[0] picks the program), which then takes exactly rp-server's or
 * rp-client's command line.
 */
import { pickProgram } from "./multi-call.ts";
import { asksVersion, versionText } from "./version.ts";

const USAGE = `restpipe: RestPipe's server and client in one binary.

Usage:
  restpipe server COMMAND [flags]     the same as: rp-server COMMAND [flags]   (rp-server --help)
  restpipe client COMMAND [flags]     the same as: rp-client COMMAND [flags]   (rp-client --help)
  restpipe --version

Named rp-server or rp-client (ln -s restpipe rp-server), it is that program.`;

const argv = process.argv.slice(2);
const picked = pickProgram(process.argv0, argv);
if (picked === undefined) {
  if (asksVersion(argv)) {
    console.log(versionText("restpipe"));
  } else {
    const help = argv.length === 1 && (argv[0] === "--help" || argv[0] === "help");
    (help ? console.log : console.error)(help || argv.length === 0 ? USAGE : `restpipe: unknown program "${argv[0]}": say server or client\n\n${USAGE}`);
    process.exitCode = help ? 0 : 2;
  }
} else if (asksVersion(picked.argv)) {
  console.log(versionText(picked.program));
} else {
  const { main } = picked.program === "rp-server" ? await import("./server-main.ts") : await import("./client-main.ts");
  process.exitCode = await main(picked.argv);
}
