/** rp-client entry point. `--version` is answered before anything heavy is imported. */
import { asksVersion, versionText } from "./version.ts";

const argv = process.argv.slice(2);
if (asksVersion(argv)) {
  console.log(versionText("rp-client"));
} else {
  const { main } = await import("./client-main.ts");
  process.exitCode = await main(argv);
}
