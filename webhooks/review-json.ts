// The JSON of a review body, read as the apiserver wrote it: bounded in depth before anything recursive sees it,
// and with every integer exact.

/**
 * How deeply a review may nest. A Performer or ConfigMap review is under 30 levels (review, request, object,
 * spec.scheduling.affinity's terms, managedFields' fieldsV1); recursive code (diffing, deep equality, cloning)
 * overflows the stack at a few thousand, and the apiserver's own decoder allows 10,000.
 */
export const MAX_REVIEW_DEPTH = 100;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Whether JSON text nests objects and arrays deeper than `max`: one pass, brackets in strings aside. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

type SourceReviver = (key: string, value: unknown, context: { source?: string }) => unknown;
const parseWithSource = JSON.parse as (text: string, reviver: SourceReviver) => unknown;

/** A run of digits that may be an integer beyond 2^53: only then is the slower, exact parse needed. */
const LONG_DIGITS = /\d{16}/;
const INTEGER_LITERAL = /^-?\d+$/;

/**
 * JSON.parse, except that an integer beyond Number's exact range is kept as its decimal text. The apiserver writes
 * an int64 (a quantity such as cpu: 9007199254740993) in full; a float would round it to ...992 before any exact
 * comparison. Every field that takes integers this large is a quantity, which is an int-or-string, so the text
 * means the same; anywhere else the schema's "must be an integer" still refuses it.
 */
export function parseExactJson(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  return parseWithSource(text, (_key, value, context) =>
    typeof value === "number" &&
    !Number.isSafeInteger(value) &&
    context.source !== undefined &&
    INTEGER_LITERAL.test(context.source)
      ? context.source
      : value,
  );
}
