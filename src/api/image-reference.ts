// Container image references as the container runtime reads them (the distribution reference grammar):
// `[registry[:port]/]path[:tag][@algorithm:hex]`, path components lowercase. A reference the runtime cannot
// parse only fails at pull time as InvalidImageName, so admission says what is wrong instead.
import { shown } from "./problem.ts";
/** A container image reference split as the runtime reads it: name, tag and digest. */
export interface ImageReference {
  /** Registry and path, without tag or digest. */
  name: string;
  tag?: string;
  digest?: string;
}

const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$/;
const MAX_NAME_LENGTH = 255;

/**
 * Name, tag and digest of `text`, split as the runtime splits them, without checking them: the digest follows
 * the first '@', the tag a ':' after the last '/'.
 */
export function imageParts(text: string): ImageReference {
  const at = text.indexOf("@");
  const rest = at === -1 ? text : text.slice(0, at);
  const digest = at === -1 ? undefined : text.slice(at + 1);
  const colon = rest.indexOf(":", rest.lastIndexOf("/") + 1);
  const name = colon === -1 ? rest : rest.slice(0, colon);
  const tag = colon === -1 ? undefined : rest.slice(colon + 1);
  return { name, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** The parts of `text`, or why it is not an image reference (a phrase that completes "spec.image: ..."). */
export function parseImageReference(text: string): ImageReference | { invalid: string } {
  if (text === "") {
    return { invalid: "must not be empty; give an image such as ghcr.io/org/performer" };
  }
  if (/\s/.test(text)) {
    return { invalid: `must not contain whitespace (got ${shown(text)})` };
  }
  if (text.split("@").length > 2) {
    return { invalid: `has more than one @ (got ${shown(text)}); use name@algorithm:hex` };
  }
  const parts = imageParts(text);
  const { name, tag, digest } = parts;
  if (digest !== undefined && !DIGEST.test(digest)) {
    return {
      invalid: `has an invalid digest ${shown(digest)}; use algorithm:hex, e.g. sha256:<64 hex digits>`,
    };
  }
  if (tag !== undefined && !TAG.test(tag)) {
    return {
      invalid: `has an invalid tag ${shown(tag)}; a tag is up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`,
    };
  }
  const nameProblem = nameInvalid(name);
  if (nameProblem) {
    return { invalid: nameProblem };
  }
  return parts;
}

function nameInvalid(name: string): string | undefined {
  if (name.length > MAX_NAME_LENGTH) {
    return `has a name longer than ${MAX_NAME_LENGTH} characters`;
  }
  const components = name.split("/");
  // As the runtime decides: the first component names a registry when it has a '.' or ':' or is localhost.
  const first = components[0] ?? "";
  const hasDomain = components.length > 1 && (/[.:]/.test(first) || first === "localhost");
  if (hasDomain && !DOMAIN.test(first)) {
    return `has an invalid registry ${shown(first)}; use a host name or IP, optionally with :port`;
  }
  for (const component of hasDomain ? components.slice(1) : components) {
    if (PATH_COMPONENT.test(component)) {
      continue;
    }
    if (PATH_COMPONENT.test(component.toLowerCase())) {
      return `repository name must be lowercase (got ${shown(name)})`;
    }
    return (
      `has an invalid repository path component ${shown(component)}; ` +
      "use lowercase letters and digits, separated by '.', '_', '__' or '-'"
    );
  }
  return undefined;
}

/** Whether `text` is a valid tag on its own (spec.version). */
export function isImageTag(text: string): boolean {
  return TAG.test(text);
}
