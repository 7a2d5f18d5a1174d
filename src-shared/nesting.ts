/**
 * The nesting headers every engine reads and sends (the runtime's `fused` sends the first too): a
 * run's depth of UDFs calling UDFs, and how many of those levels were engines proxying a run.
 */

export const MAX_DEPTH = 5;
export const RECURSION_HEADER = 'fused-recursion';

/**
 * How many of the levels `Fused-Recursion` counts are engines that proxied a top-level request
 * (a UDF switched to a remote engine): each hop adds one to both. Such a run is not nested: no run
 * waits on it here, so it queues and shares identical runs as a top-level run does.
 */
export const HOPS_HEADER = 'x-udf-studio-hops';

/**
 * The engine's id of the run a request comes from (a UDF calling back into the engine): a job it
 * starts belongs to that run and is cancelled when the run fails or is stopped, so a timed-out
 * UDF's `udf.map` does not keep the workers busy for nobody.
 */
export const PARENT_RUN_HEADER = 'x-udf-studio-parent-run';
