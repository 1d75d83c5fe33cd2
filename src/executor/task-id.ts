// A task id is any byte string (TaskRequest.task_id is bytes); messages and logs show it as text when it is
// printable UTF-8, else as 0x-hex, so that an odd id can neither garble a message nor pass for another one.
import type { TaskSubmission } from "../grpc/messages.ts";

/** The id's bytes as received (see TaskSubmission.taskIdBytes). */
export function taskIdBytesOf(submission: TaskSubmission): Buffer {
  return submission.taskIdBytes ?? Buffer.from(submission.task_id, "utf8");
}

// C0/C1 controls, U+FFFD (never in a printable id: it only stands for bytes that were not UTF-8) and the
// characters that would let an id look like two words or end a quoted one.
const UNPRINTABLE = /[\p{Cc}\ufffd"\s]/u;

/** A task id as messages and logs show it: printable UTF-8 as text, anything else as 0x-hex. */
export function describeTaskId(bytes: Buffer): string {
  const text = bytes.toString("utf8");
  const printable = text.length > 0 && Buffer.byteLength(text) === bytes.length && !UNPRINTABLE.test(text);
  return printable ? text : `0x${bytes.toString("hex")}`;
}
