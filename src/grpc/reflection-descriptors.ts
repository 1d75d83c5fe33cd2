// File descriptors for server reflection that Go's protobuf accepts. proto-loader describes a map field with
// protobufjs, which names its implicit entry message after the field ("statuses" → "Statuses") where protoc and
// Go's protodesc require "StatusesEntry"; grpcurl then refuses the whole file ("invalid map: incorrect implicit
// map entry name"), and with it grpc.health.v1.Health/Check. This renames each map entry as protoc would.
import type { PackageDefinition } from "@grpc/proto-loader";
import descriptor, {
  type IDescriptorProto,
  type IFileDescriptorProto,
} from "protobufjs/ext/descriptor/index.js";

const { FileDescriptorProto } = descriptor;

/** protoc's name for the entry message of map field `field` (descriptor.cc MapEntryName). */
export function mapEntryName(field: string): string {
  return `${field.replace(/(^|_)(.?)/g, (_, __, c: string) => c.toUpperCase())}Entry`;
}

function fixMessage(message: IDescriptorProto, scope: string): void {
  const name = `${scope}.${message.name}`;
  const nested = message.nestedType ?? [];
  for (const field of message.field ?? []) {
    const entry = nested.find((n) => n.options?.mapEntry && field.typeName === n.name && field.label === 3);
    if (!entry || !field.name) continue;
    entry.name = mapEntryName(field.name);
    field.typeName = `${name}.${entry.name}`;
  }
  for (const n of nested) fixMessage(n, name);
}

/** One serialized FileDescriptorProto with its map entries named as protoc names them. */
export function protocMapEntries(file: Uint8Array): Uint8Array {
  const decoded = FileDescriptorProto.decode(file) as IFileDescriptorProto;
  const scope = decoded.package ? `.${decoded.package}` : "";
  for (const message of decoded.messageType ?? []) fixMessage(message, scope);
  return FileDescriptorProto.encode(decoded).finish();
}

/** `definition` with every file descriptor fixed; what reflection should describe. */
export function reflectableProtos(definition: PackageDefinition): PackageDefinition {
  // Every entry of one load shares the same file buffers: fix each once.
  const fixed = new Map<Uint8Array, Buffer>();
  const fix = (file: Uint8Array) => {
    const known = fixed.get(file);
    if (known) return known;
    const out = Buffer.from(protocMapEntries(file));
    fixed.set(file, out);
    return out;
  };
  return Object.fromEntries(
    Object.entries(definition).map(([name, entry]) => [
      name,
      "fileDescriptorProtos" in entry && Array.isArray(entry.fileDescriptorProtos)
        ? { ...entry, fileDescriptorProtos: entry.fileDescriptorProtos.map(fix) }
        : entry,
    ]),
  ) as PackageDefinition;
}
