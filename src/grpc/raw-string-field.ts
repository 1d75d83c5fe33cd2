// A proto3 `string` field read and written as the bytes on the wire. TaskSubmission.task_id is a string upstream
// while the performer's TaskRequest.task_id is bytes; decoding the string as UTF-8 would turn any other byte
// string into U+FFFD, so the executor carries the bytes themselves from one to the other.

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

/** A varint at `offset`: its value (up to 2^53, which every length here is far below) and the offset after it. */
function readVarint(buffer: Buffer, offset: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let shift = 0, at = offset; at < buffer.length && shift < 64; shift += 7, at++) {
    const byte = buffer[at]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: at + 1 };
  }
  return undefined;
}

function writeVarint(value: number): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  bytes.push(rest);
  return Buffer.from(bytes);
}

/**
 * The bytes of the last length-delimited occurrence of top-level field `field` in an encoded message (the last one
 * wins, as protobuf decoders do), an empty buffer when the field is absent, or undefined when the message is not
 * well-formed (the regular decoder then reports it). One pass, no copies beyond the result.
 */
export function readRawField(message: Buffer, field: number): Buffer | undefined {
  let found: Buffer = Buffer.alloc(0);
  let offset = 0;
  while (offset < message.length) {
    const tag = readVarint(message, offset);
    if (!tag) return undefined;
    const wireType = tag.value % 8;
    const number = Math.floor(tag.value / 8);
    offset = tag.next;
    if (wireType === WIRE_VARINT) {
      const skipped = readVarint(message, offset);
      if (!skipped) return undefined;
      offset = skipped.next;
    } else if (wireType === WIRE_FIXED64) {
      offset += 8;
    } else if (wireType === WIRE_FIXED32) {
      offset += 4;
    } else if (wireType === WIRE_LENGTH_DELIMITED) {
      const length = readVarint(message, offset);
      if (!length || length.next + length.value > message.length) return undefined;
      if (number === field) found = message.subarray(length.next, length.next + length.value);
      offset = length.next + length.value;
    } else {
      // Groups (3, 4) are not proto3, and 6, 7 are not wire types.
      return undefined;
    }
    if (offset > message.length) return undefined;
  }
  return Buffer.from(found);
}

/** `message` with top-level field `field` set to `value`, written before the rest (decoders accept any order).
 * `message` must not already carry the field. */
export function withRawField(message: Buffer, field: number, value: Uint8Array): Buffer {
  if (value.length === 0) return message;
  return Buffer.concat([
    writeVarint(field * 8 + WIRE_LENGTH_DELIMITED),
    writeVarint(value.length),
    value,
    message,
  ]);
}
