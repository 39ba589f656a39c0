/** The release version; a test keeps it equal to package.json's. Kept apart so `--version` imports nothing else. */
export const VERSION = "0.3.0";
