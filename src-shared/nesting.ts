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
