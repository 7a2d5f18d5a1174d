import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { runHeaders, SHARE_TOKEN_HEADER } from '../../../src-main/engine/server/run-headers.js';
import { SESSION_KEY } from '../../../src-shared/app-api.js';

const request = (headers: IncomingMessage['headers']): IncomingMessage => ({ headers }) as IncomingMessage;

describe('the headers a run hands its UDF', () => {
  it('keeps the request headers but never its credentials', () => {
    const headers = runHeaders(request({
      'x-probe': '1', accept: 'application/json', authorization: 'Bearer secret', 'proxy-authorization': 'Basic x', cookie: 'udf_studio_session_1=abc',
    }), null);
    expect(headers).toEqual({ 'x-probe': '1', accept: 'application/json' });
  });

  it('#4: never hands a UDF the window\'s session key either', () => {
    const headers = runHeaders(request({ 'x-probe': '1', cookie: 'udf_studio_session_1=abc', [SESSION_KEY.header]: 'the-key' }), null);
    expect(headers).toEqual({ 'x-probe': '1' });
  });

  it('names the shared token a run came through, whatever the request claimed', () => {
    const headers = runHeaders(request({ [SHARE_TOKEN_HEADER]: 'fsh_forged', 'x-forwarded-for': ['a', 'b'] }), 'fsh_real');
    expect(headers).toEqual({ [SHARE_TOKEN_HEADER]: 'fsh_real', 'x-forwarded-for': 'a, b' });
    expect(runHeaders(request({ [SHARE_TOKEN_HEADER]: 'fsh_forged' }), null)).toEqual({});
  });
});
