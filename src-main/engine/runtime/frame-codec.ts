/**
 * The framing of docs/worker-protocol.md: u32 JSON length, u32 payload length, JSON, payload.
 */

/** Bytes before the JSON header: two big-endian u32 lengths. */
export const FRAME_PREFIX_BYTES = 8;
/** Largest frame either side accepts; a larger length means the stream is corrupt. */
export const MAX_FRAME_BYTES = 2 ** 31 - 1;

export interface Frame {
  header: Record<string, unknown>;
  payload: Buffer;
}

/** Encodes one frame. */
export function encodeFrame(header: object, payload?: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const payloadLength = payload?.byteLength ?? 0;
  const frame = Buffer.allocUnsafe(FRAME_PREFIX_BYTES + json.length + payloadLength);
  frame.writeUInt32BE(json.length, 0);
  frame.writeUInt32BE(payloadLength, 4);
  json.copy(frame, FRAME_PREFIX_BYTES);
  if (payload && payloadLength > 0) frame.set(payload, FRAME_PREFIX_BYTES + json.length);
  return frame;
}

/** Reassembles frames from a byte stream that arrives in arbitrary chunks. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds a chunk and returns every frame it completes. Throws on a corrupt stream. */
  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    while (this.buffered >= FRAME_PREFIX_BYTES) {
      const head = this.contiguous(FRAME_PREFIX_BYTES);
      const jsonLength = head.readUInt32BE(0);
      const payloadLength = head.readUInt32BE(4);
      const total = FRAME_PREFIX_BYTES + jsonLength + payloadLength;
      if (total > MAX_FRAME_BYTES) throw new Error(`frame of ${total} bytes is larger than the limit`);
      if (this.buffered < total) break;
      const bytes = this.contiguous(total);
      const header = JSON.parse(bytes.toString('utf8', FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + jsonLength)) as unknown;
      if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('frame header is not a JSON object');
      frames.push({ header: header as Record<string, unknown>, payload: bytes.subarray(FRAME_PREFIX_BYTES + jsonLength, total) });
      this.consume(total);
    }
    return frames;
  }

  /** The first `length` buffered bytes as one buffer, joining chunks only when needed. */
  private contiguous(length: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= length) return first;
    const joined = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [joined];
    return joined;
  }

  private consume(length: number): void {
    const first = this.chunks[0] as Buffer;
    if (first.length === length) this.chunks.shift();
    else this.chunks[0] = first.subarray(length);
    this.buffered -= length;
  }
}
