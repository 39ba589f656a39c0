/**
 * Property runs for the fuzz suites: seeded and bounded in the normal test
 * run, longer under `bun run fuzz`. FUZZ_RUNS sets the runs of every
 * property (a campaign); FUZZ_SEED replays a seed (a campaign without one
 * draws a fresh seed and prints it). Every file reports its case count.
 */
import fc from "fast-check";

const env = process.env;
const campaign = env["FUZZ_RUNS"] !== undefined && env["FUZZ_RUNS"] !== "";
/** The seed every property of this process runs with. */
export const FUZZ_SEED: number = env["FUZZ_SEED"] ? Number(env["FUZZ_SEED"]) : campaign ? (Date.now() ^ 0x5eed) | 0 : 0x5eed;

/**
 * Per-test timeout for property tests: they are CPU-bound and slow down
 * several times on a loaded machine (Bun's default is 5 s; bunfig's
 * `timeout` is not applied by Bun 1.4.4).
 */
export const FUZZ_TEST_TIMEOUT_MS = campaign ? 24 * 3_600_000 : 60_000;

let totalCases = 0;

/** Counts the cases of one test file's properties and prints them. */
export class FuzzTally {
  #cases = 0;
  readonly #started = performance.now();

  constructor(readonly name: string) {}

  /** Runs of a property whose normal-suite share is `base`. */
  runs(base: number): number {
    return campaign ? Number(env["FUZZ_RUNS"]) : base;
  }

  /** Asserts a synchronous property with `base` runs (FUZZ_RUNS in a campaign). */
  check<Ts>(property: fc.IProperty<Ts>, base: number): void {
    const numRuns = this.runs(base);
    fc.assert(property, { seed: FUZZ_SEED, numRuns });
    this.#count(numRuns);
  }

  /** Asserts an asynchronous property, likewise. */
  async checkAsync<Ts>(property: fc.IAsyncProperty<Ts>, base: number): Promise<void> {
    const numRuns = this.runs(base);
    await fc.assert(property, { seed: FUZZ_SEED, numRuns });
    this.#count(numRuns);
  }

  /** Cases run so far by this file. */
  get cases(): number {
    return this.#cases;
  }

  /** Prints "fuzz: <name> N cases in T ms (seed S; all files so far: M cases)". */
  report(): void {
    const ms = Math.round(performance.now() - this.#started);
    console.log(`fuzz: ${this.name} ${this.#cases} cases in ${ms} ms (seed ${FUZZ_SEED}; all fuzz files so far: ${totalCases} cases)`);
  }

  #count(runs: number): void {
    this.#cases += runs;
    totalCases += runs;
  }
}
