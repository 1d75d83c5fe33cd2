// The executor config as it may leave the cluster in a diagnostics bundle: every value under a key that holds a
// secret (private keys, passwords, tokens) replaced by ***, the rest as it is. Pure.
import { isScalar, parseDocument, visit } from "yaml";

const SECRET_KEY = /private|secret|password|passphrase|token|(^|_)key$|[a-z]Key$/i;

/** What stands in a bundle for a secret value. */
export const MASK = "***";

/** `text` (YAML) with secret values masked; a document that does not parse is dropped whole, not half-shown. */
export function sanitizedConfig(text: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length) return `# not valid YAML (${doc.errors.length} error(s)); left out\n`;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && SECRET_KEY.test(String(pair.key.value)) && pair.value !== null) {
        pair.value = doc.createNode(MASK);
      }
    },
  });
  return doc.toString();
}
