// The shared command-line layer: flags, choices, command dispatch and the usage exit code.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type Command,
  dispatchCommand,
  integerFlag,
  oneOf,
  parseFlags,
  portFlag,
  UsageError,
} from "../../../src/cli/args.ts";

const OPTIONS = { config: { type: "string", short: "c" }, verbose: { type: "boolean" } } as const;

test("flags parse in long and short form, with --help added", () => {
  assert.deepEqual(
    { ...parseFlags(["-c", "a.yaml", "--verbose"], OPTIONS) },
    { config: "a.yaml", verbose: true },
  );
  assert.equal(parseFlags(["-h"], OPTIONS).help, true);
});

test("unknown flags, missing values and stray arguments are usage errors", () => {
  for (const args of [["--bogus"], ["--config"], ["stray"]]) {
    assert.throws(() => parseFlags(args, OPTIONS), UsageError, args.join(" "));
  }
});

test("a choice outside the allowed values names the flag and the choices", () => {
  assert.equal(oneOf("output", "json", ["text", "json"]), "json");
  assert.throws(() => oneOf("output", "xml", ["text", "json"]), {
    name: "UsageError",
    message: '--output: "xml" is not one of text, json',
  });
});

test("dispatch runs the named command with the rest of the arguments", async () => {
  const seen: string[][] = [];
  const commands: Record<string, Command> = {
    check: {
      usage: "check usage\n",
      run: (args) => {
        seen.push(args);
        return 7;
      },
    },
  };
  assert.equal(await dispatchCommand("program usage\n", commands, ["check", "--x", "1"]), 7);
  assert.deepEqual(seen, [["--x", "1"]]);
});

test("dispatch refuses a missing or unknown command, and names the known ones", async () => {
  const commands: Record<string, Command> = { check: { usage: "", run: () => 0 } };
  await assert.rejects(dispatchCommand("", commands, []), { message: "a command is required" });
  await assert.rejects(dispatchCommand("", commands, ["toString"]), {
    message: 'unknown command "toString"; use one of check',
  });
});

test("a command's usage error carries that command's usage", async () => {
  const commands: Record<string, Command> = {
    check: {
      usage: "check usage\n",
      run: () => {
        throw new UsageError("--config FILE is required");
      },
    },
  };
  await assert.rejects(dispatchCommand("program usage\n", commands, ["check"]), (err: unknown) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.message, "--config FILE is required");
    assert.equal(err.usage, "check usage\n");
    return true;
  });
});

test("integer flags take whole numbers in range and name the flag, what it is and the range otherwise", () => {
  assert.equal(portFlag("port", "0"), 0);
  assert.equal(portFlag("port", "65535"), 65535);
  assert.equal(integerFlag("n", "7", { min: 1 }, "a count"), 7);
  const refused: [() => number, string][] = [
    [() => portFlag("port", "65536"), '--port: "65536" is not a port; give a number from 0 to 65535'],
    [() => portFlag("port", "80a"), '--port: "80a" is not a port; give a number from 0 to 65535'],
    [() => portFlag("port", "-1"), '--port: "-1" is not a port; give a number from 0 to 65535'],
    [() => portFlag("port", ""), '--port: "" is not a port; give a number from 0 to 65535'],
    [
      () => integerFlag("n", "1.5", { min: 1 }, "a count"),
      '--n: "1.5" is not a count; give a whole number, 1 or more',
    ],
    [
      () => integerFlag("n", "0", { min: 1 }, "a count"),
      '--n: "0" is not a count; give a whole number, 1 or more',
    ],
  ];
  for (const [parse, message] of refused) {
    assert.throws(parse, (e: unknown) => e instanceof UsageError && e.message === message);
  }
});
