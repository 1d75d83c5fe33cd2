import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  compareQuantities,
  formatQuantity,
  isQuantity,
  parseQuantity,
  type Quantity,
  type QuantityFormat,
  QuantityFormatError,
  quantityText,
} from "../../../src/api/quantity.ts";
import { MAX_INT64, nanos } from "../../support/quantities.ts";

const DECIMAL_SI: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  "": 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SI: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

interface Written {
  sign: "" | "+" | "-";
  integer: string;
  fraction: string | undefined;
  suffix: string;
}

const written: fc.Arbitrary<Written> = fc
  .record({
    sign: fc.constantFrom("" as const, "+" as const, "-" as const),
    integer: fc.stringMatching(/^[0-9]{0,21}$/),
    fraction: fc.option(fc.stringMatching(/^[0-9]{0,13}$/), { nil: undefined }),
    suffix: fc.oneof(
      fc.constantFrom(...Object.keys(DECIMAL_SI), ...Object.keys(BINARY_SI)),
      fc.stringMatching(/^[eE][+-]?[0-9]{1,2}$/),
    ),
  })
  .filter((w) => w.integer !== "" || (w.fraction ?? "") !== "");

function textOf(w: Written): string {
  return `${w.sign}${w.integer}${w.fraction === undefined ? "" : `.${w.fraction}`}${w.suffix}`;
}

/**
 * What Kubernetes makes of the text, worked out as a fraction: the written number times its suffix, rounded
 * away from zero to whole nano-units, binary values capped at the largest int64 and shown in decimal below 1.
 */
function expectedOf(w: Written): { nanos: bigint; format: QuantityFormat } {
  const fraction = w.fraction ?? "";
  let numerator = BigInt(w.integer + fraction) * 10n ** 9n;
  let denominator = 10n ** BigInt(fraction.length);
  let format: QuantityFormat;
  const binary = BINARY_SI[w.suffix];
  if (binary !== undefined) {
    numerator *= 2n ** BigInt(binary);
    format = "BinarySI";
  } else {
    const power = DECIMAL_SI[w.suffix] ?? Number(w.suffix.slice(1));
    format = w.suffix in DECIMAL_SI ? "DecimalSI" : "DecimalExponent";
    if (power >= 0) {
      numerator *= 10n ** BigInt(power);
    } else {
      denominator *= 10n ** BigInt(-power);
    }
  }
  let magnitude = (numerator + denominator - 1n) / denominator;
  if (format === "BinarySI") {
    magnitude = magnitude > MAX_INT64 * 10n ** 9n ? MAX_INT64 * 10n ** 9n : magnitude;
    format = magnitude > 0n && magnitude < 10n ** 9n ? "DecimalSI" : format;
  }
  return { nanos: w.sign === "-" ? -magnitude : magnitude, format };
}

/** Kubernetes prints decimal values of 1000E and above without their exponent; keep clear of that. */
function printsFaithfully(q: Quantity): boolean {
  return q.format !== "DecimalSI" || compareQuantities(absolute(q), parseQuantity("1000E")) < 0;
}

function absolute(q: Quantity): Quantity {
  return { ...q, mantissa: q.mantissa < 0n ? -q.mantissa : q.mantissa };
}

const quantity = written.map((w) => parseQuantity(textOf(w)));

describe("quantity properties", () => {
  test("parsing gives the written number times its suffix, exactly, rounded up to nano-units", () => {
    fc.assert(
      fc.property(written, (w) => {
        const q = parseQuantity(textOf(w));
        const expected = expectedOf(w);
        assert.equal(nanos(q), expected.nanos);
        assert.equal(q.format, expected.format);
      }),
      { numRuns: 2000 },
    );
  });

  test("what formatQuantity prints parses back to the same value, and prints the same again", () => {
    fc.assert(
      fc.property(
        quantity.filter((q) => printsFaithfully(q)),
        (q) => {
          const printed = formatQuantity(q);
          const reparsed = parseQuantity(printed);
          assert.equal(compareQuantities(reparsed, q), 0, printed);
          // A binary value that is no whole multiple of 1024 prints bare ("320000" for 312.5Ki), and the bare text
          // parses as DecimalSI ("320k"), as in apimachinery: the same text again holds in the value's own format.
          assert.equal(formatQuantity({ ...reparsed, format: q.format }), printed);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("the canonical form has no fraction, no leading zero, and the largest suffix keeping it whole", () => {
    fc.assert(
      fc.property(
        quantity.filter((q) => q.verbatim === undefined && printsFaithfully(q)),
        (q) => {
          const printed = formatQuantity(q);
          const match = /^-?(0|[1-9][0-9]*)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|e-?[1-9][0-9]*)?$/.exec(
            printed,
          );
          assert.ok(match, printed);
          const [, digits = "", suffix = ""] = match;
          if (suffix.endsWith("i")) {
            assert.ok(suffix === "Ei" || BigInt(digits) % 1024n !== 0n, printed);
          } else {
            // Binary values print bare when no power of 1024 divides them, whatever zeros end the digits.
            assert.ok(
              suffix === "E" || (q.format === "BinarySI" && suffix === "") || !digits.endsWith("000"),
              printed,
            );
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("comparison is antisymmetric and follows the exact values", () => {
    fc.assert(
      fc.property(quantity, quantity, (a, b) => {
        const difference = nanos(a) - nanos(b);
        const expected = difference < 0n ? -1 : difference > 0n ? 1 : 0;
        assert.equal(compareQuantities(a, b), expected);
        assert.equal(compareQuantities(b, a), -expected || 0);
        assert.equal(compareQuantities(a, a), 0);
      }),
      { numRuns: 2000 },
    );
  });

  test("a suffix scales the number by its power of 1000 or 1024", () => {
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: 0n, max: 7n }), fc.bigInt({ min: 0n, max: 10n ** 12n })), (n) => {
        // Beyond int64 a binary quantity is capped (see the first property).
        const uncapped = Object.entries(BINARY_SI).filter(
          ([, power]) => n * 2n ** BigInt(power) <= MAX_INT64,
        );
        for (const [suffix, power] of uncapped) {
          const scaled = parseQuantity(`${n * 2n ** BigInt(power)}`);
          assert.equal(compareQuantities(parseQuantity(`${n}${suffix}`), scaled), 0, `${n}${suffix}`);
        }
        for (const [suffix, power] of Object.entries(DECIMAL_SI)) {
          const scaled = parseQuantity(`${n}e${power}`);
          assert.equal(compareQuantities(parseQuantity(`${n}${suffix}`), scaled), 0, `${n}${suffix}`);
        }
      }),
    );
  });

  test("a minus sign negates the value and keeps the format", () => {
    fc.assert(
      fc.property(
        written.filter((w) => w.sign === ""),
        (w) => {
          const positive = parseQuantity(textOf(w));
          const negative = parseQuantity(`-${textOf(w)}`);
          assert.equal(nanos(negative), -nanos(positive));
          assert.equal(negative.format, positive.format);
        },
      ),
    );
  });

  test("any text either parses or fails with a QuantityFormatError, and isQuantity says which", () => {
    const character = fc.constantFrom(..."0123456789.+-eEinumkKMGTP xB");
    fc.assert(
      fc.property(fc.array(character, { maxLength: 12 }), (characters) => {
        const text = characters.join("");
        let parsed = true;
        try {
          parseQuantity(text);
        } catch (e) {
          assert.ok(e instanceof QuantityFormatError, String(e));
          parsed = false;
        }
        assert.equal(isQuantity(text), parsed);
      }),
      { numRuns: 3000 },
    );
  });

  test("every finite number YAML may give has a text that parses", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const q = parseQuantity(quantityText(value)!);
        assert.equal(q.mantissa < 0n, value < 0);
      }),
    );
    fc.assert(
      fc.property(fc.maxSafeInteger(), (value) => {
        assert.equal(nanos(parseQuantity(quantityText(value)!)), BigInt(value) * 10n ** 9n);
      }),
    );
  });
});
