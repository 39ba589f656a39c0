/**
 * Handler errors often carry the paths of the handling host
 * ("ENOENT: no such file or directory, open '/srv/files/x'"). Without
 * DEBUG=1 they are replaced before the message crosses the pipe.
 */

/** What a path is replaced with. */
export const REDACTED_PATH = "<path>";

// In quotes, everything up to the closing quote (names may hold spaces); else
// absolute POSIX paths after a start, space, bracket, "=", ":" or ","; file:
// URLs; Windows drive paths.
const PATHS =
  /(?<=(['"`]))(?:\/|file:\/\/|[A-Za-z]:\\)(?:(?!\1).)*(?=\1)|file:\/\/[^\s'"`)\]]*|(?<=^|[\s([=:,])\/[^\s'"`)\],;]*|\b[A-Za-z]:\\[^\s'"`)\],;]*/g;

/** `message` with every absolute path and file URL replaced by "<path>". */
export function redactPaths(message: string): string {
  return message.replace(PATHS, REDACTED_PATH);
}
