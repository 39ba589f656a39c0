/** rp-client entry point. `--version` is answered before anything heavy is imported. */
import { VERSION } from "./version.ts";

const argv = process.argv.slice(2);
if (argv.length === 1 && ["--version", "-V", "-v", "version"].includes(argv[0]!)) {
  console.log(`rp-client ${VERSION}`);
} else {
  const { main } = await import("./client-main.ts");
  process.exitCode = await main(argv);
}
