import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../../src-main/engine/runtime/frame-codec.js';

describe('frame codec', () => {
  it('decodes frames split at every byte boundary', () => {
    const payload = Buffer.from([0, 1, 2, 255]);
    const bytes = Buffer.concat([encodeFrame({ id: 1, ok: true }, payload), encodeFrame({ id: 2, text: 'é ✓' })]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
      expect(frames.map((f) => f.header)).toEqual([{ id: 1, ok: true }, { id: 2, text: 'é ✓' }]);
      expect([...(frames[0]?.payload ?? [])]).toEqual([0, 1, 2, 255]);
      expect(frames[1]?.payload.length).toBe(0);
    }
  });

  it('rejects a header that is not a JSON object', () => {
    const json = Buffer.from('[1,2]');
    const frame = Buffer.alloc(8 + json.length);
    frame.writeUInt32BE(json.length, 0);
    json.copy(frame, 8);
    expect(() => new FrameDecoder().push(frame)).toThrow(/not a JSON object/);
  });

  it('rejects a length past the limit instead of waiting forever', () => {
    const frame = Buffer.alloc(8);
    frame.writeUInt32BE(0xffffffff, 0);
    frame.writeUInt32BE(0xffffffff, 4);
    expect(() => new FrameDecoder().push(frame)).toThrow(/larger than the limit/);
  });
});
