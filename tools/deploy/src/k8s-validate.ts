// Validate Kubernetes manifests against the API's own types, rejecting unknown fields: each
// document becomes a typed object literal (kubernetes-types, generated from the Kubernetes
// OpenAPI spec) and the TypeScript checker reports wrong types, missing required fields and,
// through excess-property checks at every depth, any field the API does not have.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

const TYPES: Record<string, string> = {
  'v1/ConfigMap': 'core.ConfigMap',
  'v1/Secret': 'core.Secret',
  'v1/Service': 'core.Service',
  'v1/ServiceAccount': 'core.ServiceAccount',
  'v1/Namespace': 'core.Namespace',
  'v1/PersistentVolumeClaim': 'core.PersistentVolumeClaim',
  'apps/v1/Deployment': 'apps.Deployment',
  'apps/v1/StatefulSet': 'apps.StatefulSet',
  'policy/v1/PodDisruptionBudget': 'policy.PodDisruptionBudget',
  'batch/v1/Job': 'batch.Job',
  'rbac.authorization.k8s.io/v1/Role': 'rbac.Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'rbac.RoleBinding',
  'networking.k8s.io/v1/NetworkPolicy': 'networking.NetworkPolicy',
  'keda.sh/v1alpha1/ScaledObject': 'keda.ScaledObject',
};

/** Parse a multi-document YAML stream into objects (empty documents dropped). */
export function parseManifests(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((d) => {
      if (d.errors.length) throw new Error(`invalid YAML: ${d.errors[0].message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((d): d is K8sObject => d !== null);
}

/** Problems of each document, as `Kind/name: message`; empty when every document is valid. */
export function validateManifests(docs: K8sObject[]): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const file = join(here, '__manifests__.ts');
  const problems: string[] = [];
  let text =
    [
      "import type * as core from 'kubernetes-types/core/v1';",
      "import type * as apps from 'kubernetes-types/apps/v1';",
      "import type * as policy from 'kubernetes-types/policy/v1';",
      "import type * as batch from 'kubernetes-types/batch/v1';",
      "import type * as rbac from 'kubernetes-types/rbac/v1';",
      "import type * as networking from 'kubernetes-types/networking/v1';",
      "import type * as keda from './keda.js';",
    ].join('\n') + '\n';
  let line = text.split('\n').length - 1;
  const owner: Array<{ from: number; to: number; doc: string }> = [];
  docs.forEach((d, i) => {
    const name = `${d?.kind}/${d?.metadata?.name}`;
    const type = TYPES[`${d?.apiVersion}/${d?.kind}`];
    if (!type) {
      problems.push(`${name}: no schema for apiVersion ${d?.apiVersion} kind ${d?.kind}`);
      return;
    }
    const chunk = `export const doc${i}: ${type} = ${JSON.stringify(d, null, 2)};\n`;
    const n = chunk.split('\n').length - 1;
    owner.push({ from: line, to: line + n, doc: name });
    text += chunk;
    line += n;
  });
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => (f === file ? text : read(f));
  const exists = host.fileExists.bind(host);
  host.fileExists = (f) => f === file || exists(f);
  const getSource = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) =>
    f === file ? ts.createSourceFile(f, text, lang) : getSource(f, lang, ...rest);
  const program = ts.createProgram([file], options, host);
  for (const diag of ts.getPreEmitDiagnostics(program)) {
    const line = diag.file && diag.start !== undefined ? diag.file.getLineAndCharacterOfPosition(diag.start).line : -1;
    const doc = owner.find((o) => line >= o.from && line < o.to)?.doc ?? '(manifests)';
    const at = line >= 0 ? ` (at ${text.split('\n')[line].trim()})` : '';
    problems.push(`${doc}: ${ts.flattenDiagnosticMessageText(diag.messageText, ' ')}${at}`);
  }
  return problems;
}
