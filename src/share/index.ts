/** The built-in file share: path safety, ranges, conditional requests, listings; the `files` noun's dispatcher and the shares' start-up checks. */
export { ShareRefusal, type ShareRefusalKind } from "./errors.ts";
export { realRoot } from "./_resolve.ts";
export { answerRead, type ResolvedShare, type ShareAnswer, type ShareRequestHeaders } from "./serve.ts";
export { DEFAULT_LISTING_LIMIT, MAX_LISTING_LIMIT, type ListingEntry, type ListingPage } from "./_listing.ts";
export { mimetypeFor } from "./_mime.ts";
export { shareDispatcher, type ShareDispatchOptions } from "./dispatcher.ts";
export { openShares, type ShareRoot } from "./roots.ts";
export { fileStream, FILE_CHUNK_BYTES } from "./file-stream.ts";
