/**
 * One GET on a given agent, resolving with the status once the body has been read.
 */

import { request, type Agent } from 'node:http';

export function get(base: string, path: string, agent: Agent): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}
