/** The start-up check ssh makes: a private key that others may read is refused. */
import { IdentityError } from "../pki/index.ts";
import { fileMode } from "../platform/index.ts";

/**
 * Throws IdentityError "Cannot <action>: the private key ... (mode 0644); run:
 * chmod 600 ..." when the key file at `path` grants any permission to group or
 * others. A missing file is left to the read, which names it.
 */
export async function assertPrivateKeyMode(path: string, action = "start"): Promise<void> {
  const mode = await fileMode(path);
  if (mode === undefined || (mode & 0o077) === 0) return;
  const octal = mode.toString(8).padStart(4, "0");
  const what = (mode & 0o044) !== 0 ? "readable" : "accessible";
  throw new IdentityError("key", `Cannot ${action}: the private key ${path} is ${what} by group or others (mode ${octal}); run: chmod 600 ${path}`);
}
