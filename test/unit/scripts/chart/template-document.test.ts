import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDocument } from "yaml";
import { TemplateDocument } from "../../../../scripts/chart/template-document.ts";

const SOURCE = `# A comment that stays.
kind: Deployment
metadata:
  name: hourglass-operator
  labels:
    app: hourglass-operator
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: sidecar
          image: other
        - name: operator
          image: hourglass-k8s:dev
          resources:
            limits:
              cpu: "1"
`;

const template = () => new TemplateDocument(parseDocument(SOURCE), "test Deployment");
const operator = ["spec", "template", "spec", "containers", { name: "operator" }];

test("inline values, toYaml blocks and included labels (in a map made for them) land at their key's indentation", () => {
  const t = template();
  t.inline(["spec", "replicas"], () => "{{ .Values.replicas }}");
  t.inline([...operator, "image"], (image) => `{{ .Values.registry }}/${image}`);
  t.block([...operator, "resources"], "resources");
  t.include(["metadata", "labels"], "x.labels");
  t.include(["spec", "template", "labels"], "x.podLabels");
  assert.equal(
    t.render(),
    `# A comment that stays.
kind: Deployment
metadata:
  name: hourglass-operator
  labels:
    app: hourglass-operator
    {{- include "x.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: sidecar
          image: other
        - name: operator
          image: {{ .Values.registry }}/hourglass-k8s:dev
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
    labels:
      {{- include "x.podLabels" . | nindent 6 }}
`,
  );
});

test("optional keys, merged maps and conditional keys wrap what they cover and nothing else", () => {
  const t = template();
  t.optional(["spec", "template", "spec"], "nodeSelector", "nodeSelector", true);
  t.optional(["spec", "template", "spec"], "priorityClassName", "priority", false);
  t.merge(["metadata", "labels"], "extraLabels");
  t.when(["spec", "template", "spec", "containers", 1, "resources"], ".Values.limited");
  t.addWhen(["metadata"], "annotations", ".Values.keep", { keep: t.text("{{ .Values.why }}") });
  assert.equal(
    t.render(),
    `# A comment that stays.
kind: Deployment
metadata:
  name: hourglass-operator
  labels:
    app: hourglass-operator
    {{- with .Values.extraLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if .Values.keep }}
  annotations:
    keep: {{ .Values.why }}
  {{- end }}
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: sidecar
          image: other
        - name: operator
          image: hourglass-k8s:dev
          {{- if .Values.limited }}
          resources:
            limits:
              cpu: "1"
          {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.priority }}
      priorityClassName: {{ . | quote }}
      {{- end }}
`,
  );
});

test("braces in config/'s own text are printed literally, not read as template actions", () => {
  const t = new TemplateDocument(parseDocument("description: the pattern {{name}}.svc\n"), "test");
  assert.equal(t.render(), 'description: the pattern {{ "{{" }}name}}.svc\n');
});

test("a path that matches nothing is an error naming the object and the path", () => {
  const t = template();
  assert.throws(
    () => t.inline([...operator.slice(0, -1), { name: "missing" }, "image"], (v) => v),
    /test Deployment: nothing at \.spec\.template\.spec\.containers\[name=missing\]\.image/,
  );
  assert.throws(
    () => t.inline(["spec", "template"], (v) => v),
    /test Deployment: \[?\.?spec.*is not a scalar/,
  );
});

test("wildcards reach every item, and values reads what each holds", () => {
  const t = template();
  const path = ["spec", "template", "spec", "containers", "*", "image"];
  assert.deepEqual(t.values(path), ["other", "hourglass-k8s:dev"]);
  assert.equal(t.has(["spec", "template", "spec", "containers", { name: "nope" }]), false);
  t.inline(path, (image) => `{{ .Values.prefix }}${image}`);
  assert.match(
    t.render(),
    /image: \{\{ \.Values\.prefix \}\}other\n[\s\S]*image: \{\{ \.Values\.prefix \}\}hourglass-k8s:dev/,
  );
});
