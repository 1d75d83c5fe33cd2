// Expected values come from Kubernetes' own tests (k8s.io/apimachinery/pkg/api/resource/quantity_test.go)
// and, for the cases those tests leave out, from ParseQuantity and Quantity.String() run on the same inputs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  compareQuantities,
  formatQuantity,
  invalidQuantityMessage,
  isQuantity,
  MAX_QUANTITY_LENGTH,
  parseQuantity,
  type QuantityFormat,
  QuantityFormatError,
  quantityText,
} from "../../../src/api/quantity.ts";
import { MAX_INT64, nanos } from "../../support/quantities.ts";

describe("parseQuantity reads values and formats as Kubernetes does", () => {
  // [text, mantissa, exponent, format]: the value is mantissa × 10^exponent.
  const table: Array<[string, bigint, number, QuantityFormat]> = [
    ["0", 0n, 0, "DecimalSI"],
    ["0n", 0n, 0, "DecimalSI"],
    ["0u", 0n, 0, "DecimalSI"],
    ["0m", 0n, 0, "DecimalSI"],
    ["0Ki", 0n, 0, "BinarySI"],
    ["0k", 0n, 0, "DecimalSI"],
    ["0Mi", 0n, 0, "BinarySI"],
    ["0M", 0n, 0, "DecimalSI"],
    ["0Gi", 0n, 0, "BinarySI"],
    ["0G", 0n, 0, "DecimalSI"],
    ["0Ti", 0n, 0, "BinarySI"],
    ["0T", 0n, 0, "DecimalSI"],
    ["1", 1n, 0, "DecimalSI"],
    ["1Ki", 1024n, 0, "BinarySI"],
    ["8Ki", 8n * 1024n, 0, "BinarySI"],
    ["7Mi", 7n * 1024n ** 2n, 0, "BinarySI"],
    ["6Gi", 6n * 1024n ** 3n, 0, "BinarySI"],
    ["5Ti", 5n * 1024n ** 4n, 0, "BinarySI"],
    ["4Pi", 4n * 1024n ** 5n, 0, "BinarySI"],
    ["3Ei", 3n * 1024n ** 6n, 0, "BinarySI"],
    ["10Ti", 10n * 1024n ** 4n, 0, "BinarySI"],
    ["100Ti", 100n * 1024n ** 4n, 0, "BinarySI"],
    ["5n", 5n, -9, "DecimalSI"],
    ["4u", 4n, -6, "DecimalSI"],
    ["3m", 3n, -3, "DecimalSI"],
    ["9", 9n, 0, "DecimalSI"],
    ["8k", 8n, 3, "DecimalSI"],
    ["50k", 5n, 4, "DecimalSI"],
    ["7M", 7n, 6, "DecimalSI"],
    ["6G", 6n, 9, "DecimalSI"],
    ["5T", 5n, 12, "DecimalSI"],
    ["40T", 4n, 13, "DecimalSI"],
    ["300T", 3n, 14, "DecimalSI"],
    ["2P", 2n, 15, "DecimalSI"],
    ["1E", 1n, 18, "DecimalSI"],
    ["1E-3", 1n, -3, "DecimalExponent"],
    ["1e3", 1n, 3, "DecimalExponent"],
    ["1E6", 1n, 6, "DecimalExponent"],
    ["1e9", 1n, 9, "DecimalExponent"],
    ["1E12", 1n, 12, "DecimalExponent"],
    ["1e15", 1n, 15, "DecimalExponent"],
    ["1E18", 1n, 18, "DecimalExponent"],
    ["1e14", 1n, 14, "DecimalExponent"],
    ["1e13", 1n, 13, "DecimalExponent"],
    ["100.035k", 100035n, 0, "DecimalSI"],
    ["0.001", 1n, -3, "DecimalSI"],
    ["0.0005k", 5n, -1, "DecimalSI"],
    ["0.005", 5n, -3, "DecimalSI"],
    ["0.05", 5n, -2, "DecimalSI"],
    ["0.5", 5n, -1, "DecimalSI"],
    ["0.00050k", 5n, -1, "DecimalSI"],
    ["0.00500", 5n, -3, "DecimalSI"],
    ["0.05000", 5n, -2, "DecimalSI"],
    ["0.50000", 5n, -1, "DecimalSI"],
    ["0.5e0", 5n, -1, "DecimalExponent"],
    ["0.5e-1", 5n, -2, "DecimalExponent"],
    ["0.5e-2", 5n, -3, "DecimalExponent"],
    ["10.035M", 10035n, 3, "DecimalSI"],
    ["1.2e3", 12n, 2, "DecimalExponent"],
    ["1.3E+6", 13n, 5, "DecimalExponent"],
    ["1.40e9", 14n, 8, "DecimalExponent"],
    ["1.53E12", 153n, 10, "DecimalExponent"],
    ["1.6e15", 16n, 14, "DecimalExponent"],
    ["1.7E18", 17n, 17, "DecimalExponent"],
    ["9.01", 901n, -2, "DecimalSI"],
    ["8.1k", 81n, 2, "DecimalSI"],
    ["7.123456M", 7123456n, 0, "DecimalSI"],
    ["6.987654321G", 6987654321n, 0, "DecimalSI"],
    ["5.444T", 5444n, 9, "DecimalSI"],
    ["40.1T", 401n, 11, "DecimalSI"],
    ["300.2T", 3002n, 11, "DecimalSI"],
    ["2.5P", 25n, 14, "DecimalSI"],
    ["1.01E", 101n, 16, "DecimalSI"],
    // Sub-nano precision rounds up, away from zero.
    ["3.001n", 4n, -9, "DecimalSI"],
    ["1.1E-9", 2n, -9, "DecimalExponent"],
    ["0.0000000001", 1n, -9, "DecimalSI"],
    ["0.0000000005", 1n, -9, "DecimalSI"],
    ["0.00000000050", 1n, -9, "DecimalSI"],
    ["0.5e-9", 1n, -9, "DecimalExponent"],
    ["0.9n", 1n, -9, "DecimalSI"],
    ["0.00000012345", 124n, -9, "DecimalSI"],
    ["0.00000012354", 124n, -9, "DecimalSI"],
    // Binary quantities are capped at the largest int64; decimal ones are not.
    ["9Ei", MAX_INT64, 0, "BinarySI"],
    ["9223372036854775807Ki", MAX_INT64, 0, "BinarySI"],
    ["12E", 12n, 18, "DecimalSI"],
    ["100.035Ki", 10243584n, -2, "BinarySI"],
    ["0.5Mi", 524288n, 0, "BinarySI"],
    ["0.05Gi", 536870912n, -1, "BinarySI"],
    ["0.025Ti", 274877906944n, -1, "BinarySI"],
    // A binary value below 1 becomes decimal.
    ["0.000000000001Ki", 2n, -9, "DecimalSI"],
    [".001", 1n, -3, "DecimalSI"],
    [".0001k", 100n, -3, "DecimalSI"],
    ["1.", 1n, 0, "DecimalSI"],
    ["1.G", 1n, 9, "DecimalSI"],
  ];

  for (const [text, mantissa, exponent, format] of table) {
    const expected = mantissa * 10n ** BigInt(exponent + 9);
    test(`${text}, and its signed forms`, () => {
      for (const [signed, value] of [
        [text, expected],
        [`+${text}`, expected],
        [`-${text}`, -expected],
      ] as const) {
        const q = parseQuantity(signed);
        assert.equal(nanos(q), value, signed);
        assert.equal(q.format, format, signed);
      }
    });
  }

  test("1n as the smallest step, and exponents far beyond any resource, without huge numbers", () => {
    assert.equal(nanos(parseQuantity("1e-1000000000")), 1n);
    assert.equal(nanos(parseQuantity("-5e-2147483647")), -1n);
    assert.equal(formatQuantity(parseQuantity("1e1000")), "10e999");
  });

  test("the exponent as Kubernetes reads it: an int64 of which it keeps the low 32 bits", () => {
    assert.equal(nanos(parseQuantity("1e4294967297")), 10n * 10n ** 9n);
    assert.equal(formatQuantity(parseQuantity("1e9223372036854775807")), "100e-3");
    assert.equal(isQuantity("1e9223372036854775808"), false);
  });
});

describe("parseQuantity rejects", () => {
  const invalid = [
    // Kubernetes' own list
    "1.1.M",
    "1+1.0M",
    "0.1mi",
    "0.1am",
    "aoeu",
    ".5i",
    "1i",
    "-3.01i",
    "-3.01e-",
    " 1",
    "1 ",
    // what users write by mistake
    "",
    "500mm",
    "1GB",
    "1gi",
    "2 cores",
    "1.2.3",
    "1e",
    "1ee3",
    "1Mi5",
    "0x10",
    "1_000",
    "1,5",
    "１",
    // a number without digits, which the documented grammar forbids
    "Mi",
    "m",
    "Ki",
    ".",
    "-",
    "+",
    "e3",
  ];
  for (const text of invalid) {
    test(JSON.stringify(text), () => {
      assert.equal(isQuantity(text), false);
      assert.throws(
        () => parseQuantity(text),
        (e: unknown) =>
          e instanceof QuantityFormatError && e.text === text && e.message.includes(JSON.stringify(text)),
      );
    });
  }

  test("saying what is wrong and how to write it instead", () => {
    const reasons: Array<[string, RegExp]> = [
      ["", /empty/],
      ["2 cores", /spaces/],
      ["Mi", /number is missing/],
      ["1.2.3", /one decimal point/],
      ["1GB", /unknown unit "GB"/],
      ["500mm", /unknown unit "mm"/],
      ["1e9223372036854775808", /exponent 9223372036854775808 is out of range/],
    ];
    for (const [text, reason] of reasons) {
      assert.throws(
        () => parseQuantity(text),
        (e: unknown) =>
          e instanceof QuantityFormatError &&
          reason.test(e.reason) &&
          e.message.startsWith(`Invalid resource format ${JSON.stringify(text)}`) &&
          e.message.includes("Ki, Mi, Gi"),
      );
    }
  });
});

describe("formatQuantity prints as Quantity.String() does", () => {
  test("the examples everyone knows", () => {
    const cases: Array<[string, string]> = [
      ["1.5Gi", "1536Mi"],
      ["1000m", "1"],
      ["0.5", "500m"],
      ["1e3", "1e3"],
      ["1024Ki", "1Mi"],
      ["1024Mi", "1Gi"],
      ["1000M", "1G"],
      [".001Ki", "1024m"],
      [".000001Ki", "1024u"],
      [".000000001Ki", "1024n"],
      [".000000000001Ki", "2n"],
      ["1Ki", "1Ki"],
      ["1Mi", "1Mi"],
      ["1Gi", "1Gi"],
    ];
    for (const [text, printed] of cases) {
      assert.equal(formatQuantity(parseQuantity(text)), printed, text);
      assert.equal(formatQuantity(parseQuantity(`-${text}`)), `-${printed}`, `-${text}`);
    }
  });

  // [mantissa, exponent, format, canonical, another spelling of the same value]
  const table: Array<[bigint, number, QuantityFormat, string, string?]> = [
    [1024n ** 3n, 0, "BinarySI", "1Gi", "1024Mi"],
    [300n * 1024n ** 2n, 0, "BinarySI", "300Mi", "307200Ki"],
    [6n * 1024n, 0, "BinarySI", "6Ki"],
    [1001n * 1024n ** 3n, 0, "BinarySI", "1001Gi", "1025024Mi"],
    [1024n ** 4n, 0, "BinarySI", "1Ti", "1024Gi"],
    [5n, 0, "BinarySI", "5", "5000m"],
    [500n, -3, "BinarySI", "500m", "0.5"],
    [1n, 9, "DecimalSI", "1G", "1000M"],
    [1000n, 6, "DecimalSI", "1G", "0.001T"],
    [1000000n, 3, "DecimalSI", "1G"],
    [1000000000n, 0, "DecimalSI", "1G"],
    [1n, -3, "DecimalSI", "1m", "1000u"],
    [80n, -3, "DecimalSI", "80m"],
    [1080n, -3, "DecimalSI", "1080m", "1.08"],
    [108n, -2, "DecimalSI", "1080m", "1080000000n"],
    [10800n, -4, "DecimalSI", "1080m"],
    [300n, 6, "DecimalSI", "300M"],
    [1n, 12, "DecimalSI", "1T"],
    [1234567n, 6, "DecimalSI", "1234567M"],
    [1234567n, -3, "BinarySI", "1234567m"],
    [3n, 3, "DecimalSI", "3k"],
    [1025n, 0, "BinarySI", "1025"],
    [0n, 0, "DecimalSI", "0"],
    [0n, 0, "BinarySI", "0"],
    [1n, 9, "DecimalExponent", "1e9", ".001e12"],
    [1n, -3, "DecimalExponent", "1e-3", "0.001e0"],
    [1n, -9, "DecimalExponent", "1e-9", "1000e-12"],
    [80n, -3, "DecimalExponent", "80e-3"],
    [300n, 6, "DecimalExponent", "300e6"],
    [1n, 12, "DecimalExponent", "1e12"],
    [1n, 3, "DecimalExponent", "1e3"],
    [3n, 3, "DecimalExponent", "3e3"],
    [0n, 0, "DecimalExponent", "0", "00"],
    [1n, -9, "DecimalSI", "1n"],
    [80n, -9, "DecimalSI", "80n"],
    [1080n, -9, "DecimalSI", "1080n"],
    [108n, -8, "DecimalSI", "1080n"],
    [10800n, -10, "DecimalSI", "1080n"],
    [1n, -6, "DecimalSI", "1u"],
    [80n, -6, "DecimalSI", "80u"],
    [1080n, -6, "DecimalSI", "1080u"],
  ];
  for (const [mantissa, exponent, format, canonical, alternate] of table) {
    test(`${mantissa}e${exponent} ${format} as ${canonical}`, () => {
      assert.equal(formatQuantity({ mantissa, exponent, format }), canonical);
      if (mantissa !== 0n) {
        assert.equal(formatQuantity({ mantissa: -mantissa, exponent, format }), `-${canonical}`);
      }
      assert.equal(formatQuantity(parseQuantity(canonical)), canonical);
      if (alternate !== undefined) {
        assert.equal(formatQuantity(parseQuantity(alternate)), canonical, alternate);
      }
    });
  }

  test("numbers around and beyond int64 keep every digit", () => {
    const cases: Array<[string, string?]> = [
      ["-999999999999999999"],
      ["999999999999999999"],
      ["999999999999999999.1", "999999999999999999100m"],
      ["9999999999999999999"],
      ["1000000000000000000", "1E"],
      ["-1.0E", "-1E"],
      ["9999999999999999999000m", "9999999999999999999"],
      ["1.0000000000000000001E", "1000000000000000000100m"],
      ["-1000000000000000000.1", "-1000000000000000000100m"],
      ["1.000000000000000001E", "1000000000000000001"],
      ["10E"],
      ["10000000000000000000000m", "10E"],
      ["10.0000000000000000001E", "10000000000000000000100m"],
      ["-9223372036854775809"],
      ["9223372036854775806.0", "9223372036854775806"],
      ["-9223372036854775808.1", "-9223372036854775808100m"],
      ["9223372036854775807000m", "9223372036854775807"],
      ["9223372036854775808"],
    ];
    for (const [text, printed = text] of cases) {
      assert.equal(formatQuantity(parseQuantity(text)), printed, text);
    }
  });

  test("the parsed text itself when its digits need no rescaling, as Kubernetes keeps it", () => {
    for (const text of [
      "+1",
      "01",
      "1.500",
      "1.G",
      "1.",
      "1.Ki",
      "007Ki",
      "+1Ki",
      "1E3",
      "1e0",
      "1e+3",
      "1e03",
    ]) {
      assert.equal(formatQuantity(parseQuantity(text)), text);
    }
    const rescaled: Array<[string, string]> = [
      ["12e2", "1200"],
      ["1.0e3", "1e3"],
      ["10e2", "1e3"],
      ["1.0Ki", "1Ki"],
      ["-0", "0"],
      ["0.0", "0"],
      ["+.5", "500m"],
      ["100000000000Ki", "97656250Mi"],
    ];
    for (const [text, printed] of rescaled) {
      assert.equal(formatQuantity(parseQuantity(text)), printed, text);
    }
  });

  test("binary values that are small, fractional or capped print in decimal", () => {
    const cases: Array<[string, string, QuantityFormat]> = [
      ["0.5Ki", "512", "BinarySI"],
      ["1.1Ki", "1126400m", "BinarySI"],
      ["-1.5Ki", "-1536", "BinarySI"],
      ["0.00048828125Ki", "500m", "DecimalSI"],
      ["1024Ei", "9223372036854775807", "BinarySI"],
      ["-9Ei", "-9223372036854775807", "BinarySI"],
      ["8192Pi", "9223372036854775807", "BinarySI"],
      ["8191Pi", "8191Pi", "BinarySI"],
    ];
    for (const [text, printed, format] of cases) {
      const q = parseQuantity(text);
      assert.equal(formatQuantity(q), printed, text);
      assert.equal(q.format, format, text);
    }
  });

  test("a decimal value above E as Kubernetes prints it: the digits without their exponent", () => {
    assert.equal(formatQuantity(parseQuantity("1000E")), "1");
    assert.equal(nanos(parseQuantity("1000E")), 10n ** 30n);
  });
});

describe("compareQuantities", () => {
  const cases: Array<[string, string, -1 | 0 | 1]> = [
    ["0", "0", 0],
    ["100m", "50m", 1],
    ["50m", "100m", -1],
    ["10000T", "100Gi", 1],
    ["1Gi", "1073741824", 0],
    ["1Gi", "1.073741824G", 0],
    ["1073741824", "1.073741824e9", 0],
    ["1Gi", "1G", 1],
    ["1Ki", "1k", 1],
    ["0.5", "500m", 0],
    ["500m", "5e-1", 0],
    ["500000u", "0.5", 0],
    ["0.1n", "1n", 0],
    ["1n", "0", 1],
    ["-1n", "0", -1],
    ["-2", "-1", -1],
    ["-1Ki", "-1k", -1],
    ["0Ki", "0m", 0],
    ["9.01", "9.001", 1],
    ["800m", "1", -1],
    ["800m", "790m", 1],
    ["9223372036854775807", "0.1", 1],
    ["92233720368547758070", "1", 1],
    ["92233720368547758070", "10", 1],
    ["922.33720368547758070", "1k", -1],
    ["-9223372036854775808", "0", -1],
    ["-9.223372036854775808", "-1", -1],
    ["-0.9223372036854775808", "-1", 1],
    ["10", "1000000000000000000e-17", 0],
    ["10", "1000000000000000001e-17", -1],
    ["10", "9999999999e-9", 1],
    // Rounded up to whole nano-units before comparing, as Kubernetes stores them.
    ["10", "999999999999999999e-17", 0],
    ["1e1000", "9e999", 1],
    ["1e1000", "10e999", 0],
    ["-1e1000", "-9e999", -1],
  ];
  for (const [a, b, expected] of cases) {
    test(`${a} vs ${b}`, () => {
      assert.equal(compareQuantities(parseQuantity(a), parseQuantity(b)), expected);
      assert.equal(compareQuantities(parseQuantity(b), parseQuantity(a)), -expected || 0);
    });
  }
});

describe("invalidQuantityMessage", () => {
  test("quotes the text and gives examples that fit the resource", () => {
    assert.equal(
      invalidQuantityMessage("cpu", "500mm"),
      'Invalid resource format "500mm" (examples: 500m, 2)',
    );
    assert.equal(
      invalidQuantityMessage("memory", "1GB"),
      'Invalid resource format "1GB" (examples: 512Mi, 1Gi)',
    );
    for (const memoryLike of ["ephemeral-storage", "storage", "hugepages-2Mi"]) {
      assert.match(invalidQuantityMessage(memoryLike, "x"), /\(examples: 512Mi, 1Gi\)$/);
    }
    assert.equal(
      invalidQuantityMessage("nvidia.com/gpu", "2 cards"),
      'Invalid resource format "2 cards" (examples: 1, 500m, 1Gi)',
    );
  });
});

describe("quantityText", () => {
  test("takes strings as written and finite numbers as their decimal text", () => {
    assert.equal(quantityText("500m"), "500m");
    assert.equal(quantityText(""), "");
    assert.equal(quantityText(2), "2");
    assert.equal(quantityText(0.5), "0.5");
    assert.equal(quantityText(-0), "0");
    assert.equal(quantityText(1e21), "1e+21");
    assert.equal(quantityText(12n), "12");
  });

  test("gives numbers text that parses to the same value", () => {
    const cases: Array<[number, bigint]> = [
      [2, 2_000_000_000n],
      [0.5, 500_000_000n],
      [0.1, 100_000_000n],
      [1e21, 10n ** 30n],
      [1.5e-7, 150n],
    ];
    for (const [value, expected] of cases) {
      assert.equal(nanos(parseQuantity(quantityText(value)!)), expected, String(value));
    }
  });

  test("has nothing for other values", () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, null, undefined, true, {}, ["1"]]) {
      assert.equal(quantityText(value), undefined, String(value));
    }
  });
});

test("a quantity longer than 64 characters is refused before any digit is read, and quoted cut short", () => {
  const longest = `1${"0".repeat(MAX_QUANTITY_LENGTH - 2)}m`;
  assert.equal(isQuantity(longest), true);
  const hostile = "1".repeat(2_800_000);
  assert.throws(
    () => parseQuantity(hostile),
    (e: unknown) =>
      e instanceof QuantityFormatError &&
      /longer than 64 characters/.test(e.reason) &&
      e.message.length < 400 &&
      e.message.includes("(2800000 characters)"),
  );
});
