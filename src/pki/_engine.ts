/**
 * The one pkijs crypto engine, over the runtime's WebCrypto. Every pkijs call that can take an engine gets
 * this one explicitly, so nothing depends on pkijs's process-global `setEngine` state.
 */
import { CryptoEngine } from "pkijs";

/** The WebCrypto-backed engine passed to pkijs sign/verify/importKey calls. */
export const ENGINE: CryptoEngine = new CryptoEngine({ name: "webcrypto", crypto: globalThis.crypto });
