/**
 * Dask clusters as the engine stores them and the window's settings show them.
 */

/** One Dask cluster: a name and its scheduler's address (`tcp://HOST:PORT`). */
export interface ClusterConfig {
  name: string;
  address: string;
}
