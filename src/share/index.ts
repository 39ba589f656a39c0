/** The built-in file share: path safety, ranges, conditional requests, listings. */
export { ShareRefusal, type ShareRefusalKind } from "./errors.ts";
export { realRoot } from "./_resolve.ts";
export { answerRead, type ResolvedShare, type ShareAnswer, type ShareRequestHeaders } from "./serve.ts";
export { DEFAULT_LISTING_LIMIT, MAX_LISTING_LIMIT, type ListingEntry, type ListingPage } from "./_listing.ts";
export { mimetypeFor } from "./_mime.ts";
