// Kubernetes resource quantities (k8s.io/apimachinery/pkg/api/resource), in exact integer arithmetic, so that
// the webhooks accept, order and print quantities exactly as the API server does. Parsing and printing follow
// ParseQuantity and Quantity.String() rule for rule, including the rules that surprise. Two departures: a
// number without digits (`Mi`, `m`, `.`) is rejected, as the documented grammar says, where ParseQuantity
// happens to read some of them as 0; and exponents in the hundreds of millions are answered at once, where
// ParseQuantity would compute for minutes.
import { shown } from "./problem.ts";

/** How a quantity prints, as apimachinery's Format: 1000-based suffixes, 1024-based ones, or e-exponents. */
export type QuantityFormat = "DecimalSI" | "BinarySI" | "DecimalExponent";

/**
 * An exact quantity, `mantissa × 10^exponent`. parseQuantity rounds to whole nano-units, so `exponent ≥ -9`,
 * and strips trailing zeros from the mantissa (zero is `0n × 10^0`), so one value has one representation;
 * compareQuantities and formatQuantity take any mantissa and exponent.
 */
export interface Quantity {
  readonly mantissa: bigint;
  readonly exponent: number;
  readonly format: QuantityFormat;
  /** The text as parsed, when Kubernetes prints it back verbatim (see formatQuantity). */
  readonly verbatim?: string;
}

const HOW_TO_WRITE =
  "write a number with an optional unit: n, u, m, k, M, G, T, P, E (powers of 1000), " +
  "Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024) or an exponent such as e3";

/** A quantity the apiserver would not parse, with why and how to write one. */
export class QuantityFormatError extends Error {
  /** The text that is not a quantity, as given. */
  readonly text: string;
  /** Why it is not one, without the advice on how to write one. */
  readonly reason: string;

  constructor(text: string, reason: string) {
    super(`Invalid resource format ${shown(text)}: ${reason}; ${HOW_TO_WRITE}`);
    this.name = "QuantityFormatError";
    this.text = text;
    this.reason = reason;
  }
}

const DECIMAL_SI: ReadonlyArray<readonly [string, number]> = [
  ["n", -9],
  ["u", -6],
  ["m", -3],
  ["", 0],
  ["k", 3],
  ["M", 6],
  ["G", 9],
  ["T", 12],
  ["P", 15],
  ["E", 18],
];
/** Suffix → power of 2. */
const BINARY_SI: ReadonlyArray<readonly [string, number]> = [
  ["Ki", 10],
  ["Mi", 20],
  ["Gi", 30],
  ["Ti", 40],
  ["Pi", 50],
  ["Ei", 60],
];
const DECIMAL_EXPONENT_BY_SUFFIX = new Map(DECIMAL_SI);
const DECIMAL_SUFFIX_BY_EXPONENT = new Map(DECIMAL_SI.map(([suffix, exponent]) => [exponent, suffix]));
const BINARY_POWER_BY_SUFFIX = new Map(BINARY_SI);
/** Index k: the suffix for 1024^k. */
const BINARY_SUFFIX_BY_POWER_OF_1024 = ["", ...BINARY_SI.map(([suffix]) => suffix)];

const SUFFIX_CHARACTERS = "eEinumkKMGTP";
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** The first decimal exponent that Kubernetes stores without rounding (nano). */
const SMALLEST_EXPONENT = -9;

/** A quantity's text, taken apart as Kubernetes' scanner does. */
interface QuantityParts {
  negative: boolean;
  integer: string;
  fraction: string;
  suffix: string;
}

/** The value a suffix gives: `number × 10^power` or `number × 2^power`. */
interface Scaling {
  format: QuantityFormat;
  base: 10 | 2;
  power: number;
}

/** Parses a quantity as Kubernetes does; throws QuantityFormatError naming the text and what is wrong. */
export function parseQuantity(text: string): Quantity {
  const result = readQuantity(text);
  if (typeof result === "string") {
    throw new QuantityFormatError(text, result);
  }
  return result;
}

/** The quantity, or undefined when the text is not one: for rules that check and use it in one go. */
export function tryParseQuantity(text: string): Quantity | undefined {
  const result = readQuantity(text);
  return typeof result === "string" ? undefined : result;
}

/** Whether a text is a quantity the apiserver accepts. */
export function isQuantity(text: string): boolean {
  return tryParseQuantity(text) !== undefined;
}

/** A quantity's text as YAML or JSON may give it: a string as is, a finite number or bigint in decimal. */
export function quantityText(value: unknown): string | undefined {
  if (typeof value === "string") {
    return value;
  }
  if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "bigint") {
    // String() of a finite number always fits the grammar, exponent form (`1e+21`) included.
    return String(value);
  }
  return undefined;
}

/**
 * The one message for a quantity Kubernetes would not parse, with examples fitting the resource.
 * `Invalid resource format` is quoted verbatim by the troubleshooting guide.
 */
export function invalidQuantityMessage(resourceName: string, text: string): string {
  return `Invalid resource format ${shown(text)} (examples: ${examplesFor(resourceName)})`;
}

function examplesFor(resourceName: string): string {
  if (resourceName === "cpu") {
    return "500m, 2";
  }
  if (
    resourceName === "memory" ||
    resourceName === "storage" ||
    resourceName === "ephemeral-storage" ||
    resourceName.startsWith("hugepages-")
  ) {
    return "512Mi, 1Gi";
  }
  return "1, 500m, 1Gi";
}

/**
 * The longest quantity text read. Kubernetes' ParseQuantity has no bound of its own (it reads any number of digits
 * into an inf.Dec, in time quadratic in their count); 64 characters hold every quantity it keeps exactly (19
 * digits of int64, 9 decimals of nano, a sign and a suffix) with room to spare. The CRD says the same as maxLength.
 */
export const MAX_QUANTITY_LENGTH = 64;

/** The quantity, or the reason the text is not one. */
function readQuantity(text: string): Quantity | string {
  if (text.length > MAX_QUANTITY_LENGTH) {
    return `it is longer than ${MAX_QUANTITY_LENGTH} characters`;
  }
  const parts = splitQuantity(text);
  if (typeof parts === "string") {
    return parts;
  }
  const scaling = interpretSuffix(parts.suffix);
  if (typeof scaling === "string") {
    return scaling;
  }
  const digits = BigInt(parts.integer + parts.fraction);
  // The written number is digits × 10^-fraction.length; a binary suffix multiplies by a power of 2.
  let { mantissa, exponent } =
    scaling.base === 10
      ? roundUpToNano(digits, scaling.power - parts.fraction.length)
      : roundUpToNano(digits << BigInt(scaling.power), -parts.fraction.length);
  let format = scaling.format;
  if (format === "BinarySI") {
    // Kubernetes caps binary quantities at the largest int64 (decimal ones are not capped).
    if (compareMagnitudes(mantissa, exponent, INT64_MAX, 0) > 0) {
      mantissa = INT64_MAX;
      exponent = 0;
    }
    // A fraction of a byte reads better as 500m than as a power of 1024.
    if (mantissa !== 0n && magnitudeOrder(mantissa, exponent) <= 0) {
      format = "DecimalSI";
    }
  }
  const quantity = normalize(parts.negative ? -mantissa : mantissa, exponent, format);
  return keepsText(parts, scaling) ? { ...quantity, verbatim: text } : quantity;
}

/** Splits text into sign, digits, fraction and suffix; a string is the reason it does not fit the grammar. */
function splitQuantity(text: string): QuantityParts | string {
  if (text === "") {
    return "the value is empty";
  }
  if (/\s/.test(text)) {
    return "spaces are not allowed";
  }
  let position = 0;
  const negative = text.startsWith("-");
  if (negative || text.startsWith("+")) {
    position++;
  }
  const integerEnd = skipDigits(text, position);
  const integer = text.slice(position, integerEnd);
  position = integerEnd;
  let fraction = "";
  if (text.charAt(position) === ".") {
    const fractionEnd = skipDigits(text, position + 1);
    fraction = text.slice(position + 1, fractionEnd);
    position = fractionEnd;
  }
  if (integer === "" && fraction === "") {
    return "the number is missing";
  }
  const suffixStart = position;
  while (position < text.length && SUFFIX_CHARACTERS.includes(text.charAt(position))) {
    position++;
  }
  if (text.charAt(position) === "+" || text.charAt(position) === "-") {
    position++;
  }
  position = skipDigits(text, position);
  if (position < text.length) {
    return text.charAt(suffixStart) === "."
      ? "a number has at most one decimal point"
      : `unknown unit ${shown(text.slice(suffixStart))}`;
  }
  return { negative, integer, fraction, suffix: text.slice(suffixStart) };
}

function skipDigits(text: string, from: number): number {
  let position = from;
  while (position < text.length && text.charAt(position) >= "0" && text.charAt(position) <= "9") {
    position++;
  }
  return position;
}

function interpretSuffix(suffix: string): Scaling | string {
  const decimal = DECIMAL_EXPONENT_BY_SUFFIX.get(suffix);
  if (decimal !== undefined) {
    return { format: "DecimalSI", base: 10, power: decimal };
  }
  const binary = BINARY_POWER_BY_SUFFIX.get(suffix);
  if (binary !== undefined) {
    return { format: "BinarySI", base: 2, power: binary };
  }
  const exponentText = /^[eE]([+-]?[0-9]+)$/.exec(suffix)?.[1];
  if (exponentText === undefined) {
    return `unknown unit ${shown(suffix)}`;
  }
  const exponent = BigInt(exponentText);
  if (exponent < INT64_MIN || exponent > INT64_MAX) {
    return `the exponent ${exponentText} is out of range`;
  }
  // Kubernetes reads the exponent as an int64 and keeps its low 32 bits: 1e4294967297 is 10.
  return { format: "DecimalExponent", base: 10, power: Number(BigInt.asIntN(32, exponent)) };
}

/**
 * `digits × 10^exponent`, rounded away from zero to whole nano-units: Kubernetes would rather give a little
 * more of a resource than none at all (0.1n becomes 1n).
 */
function roundUpToNano(digits: bigint, exponent: number): { mantissa: bigint; exponent: number } {
  if (exponent >= SMALLEST_EXPONENT || digits === 0n) {
    return { mantissa: digits, exponent };
  }
  const dropped = SMALLEST_EXPONENT - exponent;
  if (digits.toString().length <= dropped) {
    // Below 1n however long the exponent: no need to build 10^dropped.
    return { mantissa: 1n, exponent: SMALLEST_EXPONENT };
  }
  const divisor = 10n ** BigInt(dropped);
  const truncated = digits / divisor;
  return { mantissa: digits % divisor === 0n ? truncated : truncated + 1n, exponent: SMALLEST_EXPONENT };
}

function normalize(mantissa: bigint, exponent: number, format: QuantityFormat): Quantity {
  if (mantissa === 0n) {
    return { mantissa: 0n, exponent: 0, format };
  }
  const text = mantissa.toString();
  const trailingZeros = text.length - text.replace(/0+$/, "").length;
  return {
    mantissa: trailingZeros === 0 ? mantissa : BigInt(text.slice(0, -trailingZeros)),
    exponent: exponent + trailingZeros,
    format,
  };
}

/**
 * Whether Kubernetes keeps the text it parsed and prints it back as written. It does so when the text's
 * digits need no rescaling to be canonical, judged on the digits alone, so `+1`, `01`, `1.500`, `1.G` and
 * `1E3` come back unchanged; the API server stores what it prints, so we must predict the same.
 */
function keepsText(parts: QuantityParts, scaling: Scaling): boolean {
  const integer = parts.integer.replace(/^0+/, "") || "0";
  if (scaling.base === 2) {
    // Only short whole numbers of Ki, Mi, Gi or Ti, and of those only the ones not divisible by 8: Kubernetes'
    // quick test that no larger binary suffix fits.
    const maxDigits = 14 - Math.floor((scaling.power * 3) / 10);
    return parts.fraction === "" && integer.length <= maxDigits && (BigInt(integer) & 7n) !== 0n;
  }
  const digits = integer + parts.fraction;
  const scale = scaling.power - parts.fraction.length;
  return (
    digits.length <= 18 &&
    scale >= SMALLEST_EXPONENT &&
    scale % 3 === 0 &&
    !digits.startsWith("0") &&
    !digits.endsWith("000")
  );
}

/** Number of digits before the decimal point of |mantissa × 10^exponent| (≤ 0 below 1). */
function magnitudeOrder(mantissa: bigint, exponent: number): number {
  return absolute(mantissa).toString().length + exponent;
}

function absolute(value: bigint): bigint {
  return value < 0n ? -value : value;
}

/** Compares |a| with |b| without building either power of ten in full. */
function compareMagnitudes(
  aMantissa: bigint,
  aExponent: number,
  bMantissa: bigint,
  bExponent: number,
): number {
  const a = absolute(aMantissa);
  const b = absolute(bMantissa);
  if (a === 0n || b === 0n) {
    return Number(a !== 0n) - Number(b !== 0n);
  }
  const orderDifference = magnitudeOrder(a, aExponent) - magnitudeOrder(b, bExponent);
  if (orderDifference !== 0) {
    return Math.sign(orderDifference);
  }
  // Same order of magnitude: the exponents differ by at most the digit count, so aligning them is cheap.
  const shift = aExponent - bExponent;
  const left = shift > 0 ? a * 10n ** BigInt(shift) : a;
  const right = shift < 0 ? b * 10n ** BigInt(-shift) : b;
  return left === right ? 0 : left > right ? 1 : -1;
}

/** The order of two quantities by value (-1, 0, 1), exactly, as requests ≤ limits is checked. */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  const aSign = signOf(a.mantissa);
  const bSign = signOf(b.mantissa);
  if (aSign !== bSign) {
    return aSign < bSign ? -1 : 1;
  }
  const magnitude = compareMagnitudes(a.mantissa, a.exponent, b.mantissa, b.exponent) * aSign;
  return magnitude < 0 ? -1 : magnitude > 0 ? 1 : 0;
}

function signOf(value: bigint): -1 | 0 | 1 {
  return value < 0n ? -1 : value > 0n ? 1 : 0;
}

/**
 * The quantity as Kubernetes prints it (Quantity.String()): the text as parsed when Kubernetes keeps it,
 * otherwise the canonical form, whose exponent is a multiple of 3 (or of 10 for binary) and as large as
 * possible without a fraction: 1.5Gi → 1536Mi, 1000m → 1, 0.5 → 500m, 1024Ki → 1Mi.
 */
export function formatQuantity(q: Quantity): string {
  if (q.verbatim !== undefined) {
    return q.verbatim;
  }
  if (q.mantissa === 0n) {
    return "0";
  }
  // Normalizing first lets callers build quantities with trailing zeros (1000 × 10^6 prints as 1G).
  const normal = normalize(q.mantissa, q.exponent, q.format);
  return (normal.format === "BinarySI" ? formatBinary(normal) : undefined) ?? formatDecimal(normal);
}

/** Binary form, or undefined where Kubernetes prints decimal: below 1024 in magnitude, or fractional. */
function formatBinary(q: Quantity): string | undefined {
  if (q.exponent < 0) {
    return undefined;
  }
  let value = q.mantissa * 10n ** BigInt(q.exponent);
  if (absolute(value) < 1024n) {
    return undefined;
  }
  let power = 0;
  while (value % 1024n === 0n) {
    value /= 1024n;
    power++;
  }
  // Binary quantities are capped below 2^63, so the power never passes Ei.
  return `${value}${BINARY_SUFFIX_BY_POWER_OF_1024[power] ?? ""}`;
}

function formatDecimal(q: Quantity): string {
  // Lower the exponent to a multiple of 3, moving the difference into the digits.
  const shift = ((q.exponent % 3) + 3) % 3;
  const digits = q.mantissa * 10n ** BigInt(shift);
  const exponent = q.exponent - shift;
  if (q.format === "DecimalExponent") {
    return exponent === 0 ? `${digits}` : `${digits}e${exponent}`;
  }
  // Above E there is no suffix, and Kubernetes prints the digits alone: 1000E is printed "1".
  return `${digits}${DECIMAL_SUFFIX_BY_EXPONENT.get(exponent) ?? ""}`;
}
