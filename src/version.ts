/** The rq-ts version, written in worker hashes (`version`) and printed by `rq --version`. A test keeps it equal to package.json's. */
export const VERSION = '0.1.0';
