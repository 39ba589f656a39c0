/** rp-server entry point. `--version` is answered before anything heavy is imported. */
import { asksVersion, versionText } from "./version.ts";

const argv = process.argv.slice(2);
if (asksVersion(argv)) {
  console.log(versionText("rp-server"));
} else {
  const { main } = await import("./server-main.ts");
  process.exitCode = await main(argv);
}
