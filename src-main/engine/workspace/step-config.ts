/**
 * A UDF sent as code, in the shape of Fused's `step_config` (code runs, submit jobs): read and
 * checked into a runnable UdfFolder that lives in no folder.
 */

import { udfError } from '../../../src-shared/errors.js';
import { asObject, makeSource, type UdfFolder } from './udf-folder.js';

/** Reads Fused's `step_config` (a JSON string, or an object) into a runnable UDF. */
export function udfFromStepConfig(raw: unknown): { udf: UdfFolder; parameters: Record<string, unknown> } {
  let config: unknown = raw;
  if (typeof raw === 'string') {
    try {
      config = JSON.parse(raw);
    } catch (error) {
      throw udfError('UDF_ERR_BAD_REQUEST', `step_config is not valid JSON: ${(error as Error).message}`);
    }
  }
  const step = asObject(config);
  const udf = asObject(step?.udf);
  if (!udf) throw udfError('UDF_ERR_BAD_REQUEST', 'the body needs "step_config": {"type": "udf", "udf": {"name", "code", ...}}');
  if (typeof udf.code !== 'string' || !udf.code.trim()) throw udfError('UDF_ERR_BAD_REQUEST', 'step_config.udf.code must be the UDF\'s Python source');
  const name = typeof udf.name === 'string' && /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/.test(udf.name) ? udf.name : 'udf';
  const headers = (Array.isArray(udf.headers) ? udf.headers : []).map((entry, index) => {
    const header = asObject(entry);
    const moduleName = header?.module_name;
    const code = header?.source_code ?? header?.code;
    if (typeof moduleName !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(moduleName) || typeof code !== 'string') {
      throw udfError('UDF_ERR_BAD_REQUEST', `step_config.udf.headers[${index}] needs "module_name" (a Python identifier) and "source_code"`);
    }
    return { moduleName, path: null, code };
  });
  const metadata = asObject(udf.metadata) ?? {};
  const entrypoint = typeof udf.entrypoint === 'string' && udf.entrypoint ? udf.entrypoint : null;
  return {
    udf: {
      kind: 'udf', name, dir: '', udfType: 'auto', meta: null, readme: null, description: null,
      source: makeSource({ name, path: null, dir: null, code: udf.code, entrypoint, headers, metadata }),
    },
    parameters: asObject(udf.parameters) ?? {},
  };
}
