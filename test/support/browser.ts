/**
 * Headless Chromium for end-to-end tests of the status page: Debian's
 * `chromium` package driven by playwright-core (which downloads nothing).
 * Offline flags only, loopback URLs only; playwright gives every launch a
 * fresh temporary profile (it refuses --user-data-dir in launch()) and removes it on close.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM_PATH = process.env["RP_TEST_CHROMIUM"] ?? "/usr/bin/chromium";

/** Launches headless Chromium; throws with the install hint when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Cannot find Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium); .ci/run does`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
