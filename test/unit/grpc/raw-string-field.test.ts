import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { executorService } from "../../../src/grpc/protos.ts";
import { readRawField, withRawField } from "../../../src/grpc/raw-string-field.ts";

describe("a string field carried as its bytes", () => {
  it("reads the bytes of the last occurrence, skipping fields of every wire type", () => {
    const message = Buffer.from([
      0x08,
      0x96,
      0x01, // field 1 varint 150 (not length-delimited: skipped)
      0x0a,
      0x02,
      0xff,
      0xfe, // field 1 bytes ff fe
      0x11,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8, // field 2 fixed64
      0x1d,
      1,
      2,
      3,
      4, // field 3 fixed32
      0x0a,
      0x01,
      0x80, // field 1 again: the last one wins
    ]);
    assert.deepEqual(readRawField(message, 1), Buffer.from([0x80]));
    assert.deepEqual(readRawField(message, 4), Buffer.alloc(0));
  });

  it("says undefined for a message that is not well-formed", () => {
    assert.equal(readRawField(Buffer.from([0x0a, 0x05, 0x01]), 1), undefined, "length beyond the end");
    assert.equal(readRawField(Buffer.from([0x08, 0x80]), 1), undefined, "unterminated varint");
    assert.equal(readRawField(Buffer.from([0x0b]), 1), undefined, "group");
  });

  it("round-trips any byte string through SubmitTask's codec, in both directions", () => {
    const method = executorService.SubmitTask!;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), (bytes, setId) => {
        const id = Buffer.from(bytes);
        const request = method.requestDeserialize(
          method.requestSerialize({ task_id: "ignored", taskIdBytes: id, operator_set_id: setId % 2 ** 32 }),
        ) as { taskIdBytes: Buffer; operator_set_id: number };
        assert.deepEqual(request.taskIdBytes, id);
        assert.equal(request.operator_set_id, setId % 2 ** 32);
        const result = method.responseDeserialize(
          method.responseSerialize({ task_id: "", taskIdBytes: id, version: 1 }),
        ) as { taskIdBytes: Buffer; version: number };
        assert.deepEqual(result.taskIdBytes, id);
        assert.equal(result.version, 1);
      }),
    );
  });

  it("adds nothing when there are no bytes to carry", () => {
    const message = Buffer.from([0x10, 0x01]);
    assert.equal(withRawField(message, 1, Buffer.alloc(0)), message);
  });
});
