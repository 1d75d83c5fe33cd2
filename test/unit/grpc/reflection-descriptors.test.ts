import assert from "node:assert/strict";
import { test } from "node:test";
import descriptor, {
  type IDescriptorProto,
  type IFileDescriptorProto,
} from "protobufjs/ext/descriptor/index.js";
import { EXECUTOR_SERVICE_NAME, executorProtos, executorService } from "../../../src/grpc/protos.ts";
import { mapEntryName } from "../../../src/grpc/reflection-descriptors.ts";
import { startGrpcServer } from "../../../src/grpc/server.ts";
import { filesContainingSymbol } from "../../support/grpc-clients.ts";

test("map entry names follow protoc: CamelCase of the field, then Entry", () => {
  assert.equal(mapEntryName("statuses"), "StatusesEntry");
  assert.equal(mapEntryName("env_vars"), "EnvVarsEntry");
  assert.equal(mapEntryName("a_b_c"), "ABCEntry");
});

/** Go's protodesc check that made grpcurl refuse the file: each map field's entry is <Field>Entry beside it. */
function mapProblems(message: IDescriptorProto, scope: string): string[] {
  const name = `${scope}.${message.name}`;
  const problems: string[] = [];
  for (const field of message.field ?? []) {
    const entry = (message.nestedType ?? []).find(
      (n) => n.options?.mapEntry && field.typeName === `${name}.${n.name}`,
    );
    const mapLike = (message.nestedType ?? []).some(
      (n) => n.options?.mapEntry && field.typeName?.endsWith(`${n.name}`),
    );
    if (!mapLike) continue;
    if (!entry) problems.push(`${name}.${field.name}: type ${field.typeName} is no entry of ${name}`);
    else if (entry.name !== mapEntryName(field.name ?? "")) {
      problems.push(
        `${name}.${field.name}: entry ${entry.name}, protoc names it ${mapEntryName(field.name ?? "")}`,
      );
    }
  }
  for (const nested of message.nestedType ?? []) problems.push(...mapProblems(nested, name));
  return problems;
}

test("reflection describes grpc.health.v1 with map entries Go's protobuf accepts (grpcurl's Health/Check)", async (t) => {
  const server = await startGrpcServer({
    host: "127.0.0.1",
    port: 0,
    protos: executorProtos,
    services: [{ name: EXECUTOR_SERVICE_NAME, definition: executorService, implementation: {} }],
  });
  t.after(() => server.shutdown(0));
  const files = (await filesContainingSymbol(`127.0.0.1:${server.port}`, "grpc.health.v1.Health")).map(
    (bin) => descriptor.FileDescriptorProto.decode(bin) as IFileDescriptorProto,
  );
  const health = files.find((f) => f.package === "grpc.health.v1");
  assert.ok(health, `no grpc.health.v1 file among ${files.map((f) => f.name).join(", ")}`);
  const list = health.messageType?.find((m) => m.name === "HealthListResponse");
  assert.deepEqual(
    list?.nestedType?.map((n) => n.name),
    ["StatusesEntry"],
    "HealthListResponse.statuses is a map; its entry must be StatusesEntry",
  );
  assert.deepEqual(
    files.flatMap((f) => (f.messageType ?? []).flatMap((m) => mapProblems(m, `.${f.package}`))),
    [],
  );
});
