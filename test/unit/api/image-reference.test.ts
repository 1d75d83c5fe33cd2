import assert from "node:assert/strict";
import { test } from "node:test";
import { isImageTag, parseImageReference } from "../../../src/api/image-reference.ts";

const DIGEST = `sha256:${"a1".repeat(32)}`;

test("references the runtime accepts are split into name, tag and digest", () => {
  const cases: [string, object][] = [
    ["performer", { name: "performer" }],
    ["avs/performer:v1.2.3", { name: "avs/performer", tag: "v1.2.3" }],
    ["ghcr.io/layr-labs/hourglass/performer", { name: "ghcr.io/layr-labs/hourglass/performer" }],
    ["registry.example:5000/avs/performer:v2", { name: "registry.example:5000/avs/performer", tag: "v2" }],
    ["localhost/performer:dev", { name: "localhost/performer", tag: "dev" }],
    ["[::1]:5000/performer", { name: "[::1]:5000/performer" }],
    [`ghcr.io/org/p@${DIGEST}`, { name: "ghcr.io/org/p", digest: DIGEST }],
    [`ghcr.io/org/p:v1@${DIGEST}`, { name: "ghcr.io/org/p", tag: "v1", digest: DIGEST }],
    ["org/my_performer__x-y.z:1.0_rc-1", { name: "org/my_performer__x-y.z", tag: "1.0_rc-1" }],
    ["Registry.Example/org/p", { name: "Registry.Example/org/p" }],
  ];
  for (const [text, expected] of cases) {
    assert.deepEqual(parseImageReference(text), expected, text);
  }
});

test("references the runtime refuses say what is wrong", () => {
  const cases: [string, RegExp][] = [
    ["", /must not be empty/],
    ["avs/performer :v1", /whitespace/],
    ["avs/Performer:v1", /must be lowercase/],
    ["avs/performer:", /invalid tag ""/],
    ["avs/performer:-v1", /invalid tag "-v1"/],
    ["avs/performer:v1:v2", /invalid tag "v1:v2"/],
    [`avs/performer:${"x".repeat(129)}`, /invalid tag/],
    ["avs/performer@sha256:abc", /invalid digest "sha256:abc"/],
    [`avs/p@${DIGEST}@${DIGEST}`, /more than one @/],
    ["avs//performer", /invalid repository path component ""/],
    ["avs/-performer", /invalid repository path component "-performer"/],
    ["avs/per..former", /invalid repository path component/],
    ["bad_host.example/p", /invalid registry "bad_host\.example"/],
    ["registry.example:port/p", /invalid registry/],
    [`org/${"a".repeat(256)}`, /longer than 255/],
  ];
  for (const [text, message] of cases) {
    const parsed = parseImageReference(text);
    assert.ok("invalid" in parsed, `${JSON.stringify(text)} must be refused`);
    assert.match(parsed.invalid, message, text);
  }
});

test("tags on their own (spec.version)", () => {
  for (const tag of ["v1.2.3", "1", "latest", "v1_rc-2", "x".repeat(128)]) {
    assert.equal(isImageTag(tag), true, tag);
  }
  for (const tag of ["", ".v1", "-v1", "v1/2", "v 1", "x".repeat(129)]) {
    assert.equal(isImageTag(tag), false, tag);
  }
});
