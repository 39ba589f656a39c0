/** rp-server entry point. `--version` is answered before anything heavy is imported. */
import { VERSION } from "./version.ts";

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  console.log(`rp-server ${VERSION}`);
} else {
  const { main } = await import("./server-main.ts");
  process.exitCode = await main(argv);
}
