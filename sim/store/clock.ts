/** Where the simulated store reads the time: epoch milliseconds. Injected so tests can hold time still or move it. */
export type Clock = () => number;

/** The machine's wall clock. */
export const systemClock: Clock = () => Date.now();
