/**
 * Offline validation of Kubernetes manifests against the API's OpenAPI schemas, as packaged by
 * `kubernetes-models` (Kubernetes 1.30-era API; no cluster needed), in two passes:
 * - the package's JSON-schema validators (Ajv): types, enums, required fields, formats;
 * - the package's TypeScript declarations: each manifest becomes an object literal typed as
 *   its kind and the compiler's excess-property check rejects any field the API does not have
 *   (a misspelt `readinesProbe` passes a JSON-schema check but not this one, like
 *   kubeconform's -strict).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

type ModelClass = new (data: unknown) => { validate(): void };

/** `kubernetes-models/<group>/<version>` module of an apiVersion (the core group has no prefix). */
function modelModule(apiVersion: string): string {
  return `kubernetes-models/${apiVersion}`;
}

export function manifestName(doc: Manifest): string {
  return `${doc.kind}/${doc.metadata.name}`;
}

/** Errors of the JSON-schema pass, one string per problem (empty when valid). */
export async function schemaErrors(docs: readonly Manifest[]): Promise<string[]> {
  const errors: string[] = [];
  for (const doc of docs) {
    let exported: unknown;
    try {
      const module: unknown = await import(modelModule(doc.apiVersion));
      exported = (module as Record<string, unknown>)[doc.kind];
    } catch {
      exported = undefined;
    }
    if (typeof exported !== 'function') {
      errors.push(`${manifestName(doc)}: no schema for ${doc.apiVersion} ${doc.kind}`);
      continue;
    }
    try {
      new (exported as ModelClass)(doc).validate();
    } catch (error) {
      errors.push(`${manifestName(doc)}: ${(error as Error).message}`);
    }
  }
  return errors;
}

let previousProgram: ts.Program | undefined;

/** Errors of the TypeScript pass (unknown fields and mistyped values), one string per problem. */
export function strictFieldErrors(docs: readonly Manifest[]): string[] {
  const require = createRequire(import.meta.url);
  // A virtual file inside the project so that module resolution finds node_modules.
  const root = dirname(require.resolve('kubernetes-models/package.json'));
  const fileName = join(root, '..', '..', 'test', '__k8s_manifests__.ts');
  const lines: string[] = [];
  docs.forEach((doc, i) => {
    lines.push(`import type { I${doc.kind} as T${i} } from '${modelModule(doc.apiVersion)}/${doc.kind}';`);
  });
  const firstDocLine = lines.length;
  docs.forEach((doc, i) => lines.push(`export const m${i}: T${i} = ${JSON.stringify(doc)};`));
  const source = lines.join('\n');

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, source, languageVersion, true)
      : original(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  // The previous program lets the compiler reuse the parsed declaration files (seconds saved).
  const program = ts.createProgram({
    rootNames: [fileName],
    options,
    host,
    ...(previousProgram ? { oldProgram: previousProgram } : {}),
  });
  previousProgram = program;
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== fileName || diagnostic.start === undefined) return text;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const doc = docs[line - firstDocLine];
    return doc ? `${manifestName(doc)}: ${text}` : text;
  });
}
