// Resource requirements as Kubernetes reads them: quantities in its grammar, compared exactly (never as floats),
// no negative amounts, requests not above limits. Shared by the Performer webhook (spec.resources) and the executor
// config (default_resources), so both say the same thing about the same mistake.
import { error, type Problem, warning } from "./problem.ts";
import {
  compareQuantities,
  invalidQuantityMessage,
  parseQuantity,
  type Quantity,
  quantityText,
  tryParseQuantity,
} from "./quantity.ts";
import { childPath } from "./schema-validation.ts";

const KINDS = ["requests", "limits"] as const;
/** The resources an unbounded container would take from its neighbours. */
const CAPPED = ["cpu", "memory"];
const ZERO = parseQuantity("0");

/** A quantity with the text the author wrote, which messages quote. */
interface Written {
  text: string;
  quantity: Quantity;
}

function objectAt(value: unknown, key: string): Record<string, unknown> | undefined {
  const inner =
    value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined;
  return inner !== null && typeof inner === "object" ? (inner as Record<string, unknown>) : undefined;
}

/**
 * Problems of `resources` ({requests, limits}) found at `path`. With `warnUncapped`, a missing cpu or memory
 * limit is a warning. Values of the wrong type are left to the schema check.
 */
export function resourceProblems(
  resources: unknown,
  path: string,
  options: { warnUncapped: boolean; spell?: (path: string) => string },
): Problem[] {
  const spell = options.spell ?? ((p: string) => p);
  if (resources === null || typeof resources !== "object") return [];
  const problems: Problem[] = [];
  const parsed = { requests: new Map<string, Written>(), limits: new Map<string, Written>() };
  for (const kind of KINDS) {
    for (const [name, raw] of Object.entries(objectAt(resources, kind) ?? {})) {
      const text = quantityText(raw);
      if (text === undefined) continue;
      const at = childPath(childPath(path, kind), name);
      const quantity = tryParseQuantity(text);
      if (quantity === undefined) {
        problems.push(error(at, invalidQuantityMessage(name, text)));
      } else if (compareQuantities(quantity, ZERO) < 0) {
        problems.push(error(at, `must not be negative (got ${text})`));
      } else {
        parsed[kind].set(name, { text, quantity });
      }
    }
  }
  for (const [name, request] of parsed.requests) {
    const limit = parsed.limits.get(name);
    if (limit !== undefined && compareQuantities(request.quantity, limit.quantity) > 0) {
      problems.push(
        error(
          childPath(childPath(path, "requests"), name),
          `must be less than or equal to the limit ${limit.text} (got ${request.text}); ` +
            `lower the request or raise ${spell(childPath(childPath(path, "limits"), name))}`,
        ),
      );
    }
  }
  if (options.warnUncapped) {
    const limits = objectAt(resources, "limits");
    for (const name of CAPPED.filter((n) => limits?.[n] === undefined)) {
      problems.push(
        warning(
          childPath(childPath(path, "limits"), name),
          `is not set, so the performer may use all of its node's ${name}; set a limit`,
        ),
      );
    }
  }
  return problems;
}
