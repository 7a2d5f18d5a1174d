/**
 * The little of the protocol-buffer wire format that vector tiles need: fields and varints.
 */

/** Protocol-buffer wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

/** One field: a varint's value, or the bytes of a length-delimited or fixed-size one. */
export interface Field {
  number: number;
  value: number | null;
  bytes: Uint8Array | null;
}

export function* fields(bytes: Uint8Array): Generator<Field> {
  const position = { at: 0 };
  while (position.at < bytes.length) {
    const key = varint(bytes, position);
    const number = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === VARINT) {
      yield { number, value: varint(bytes, position), bytes: null };
      continue;
    }
    const length = wire === LENGTH ? varint(bytes, position) : wire === FIXED64 ? 8 : wire === FIXED32 ? 4 : -1;
    if (length < 0) throw new RangeError(`wire type ${wire} is not in vector tiles`);
    if (position.at + length > bytes.length) throw new RangeError('a field runs past the end');
    yield { number, value: null, bytes: bytes.subarray(position.at, position.at + length) };
    position.at += length;
  }
}

export function varint(bytes: Uint8Array, position: { at: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[position.at];
    if (byte === undefined) throw new RangeError('a number runs past the end');
    position.at += 1;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
}

/** Packed varints (a length-delimited field's bytes). */
export function packed(bytes: Uint8Array): number[] {
  const values: number[] = [];
  const position = { at: 0 };
  while (position.at < bytes.length) values.push(varint(bytes, position));
  return values;
}
