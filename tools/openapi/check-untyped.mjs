// Fails when a request body or a 2xx/4xx response body is untyped, in the OpenAPI
// document itself and in the TypeScript generated from it.
//
//   node check-untyped.mjs SPEC.json OPENAPI_TYPESCRIPT.d.ts HEY_API_TYPES.gen.ts
//
// Untyped means `any`, `unknown`, `{}`/`object`, or a free-form map at the top of a body.
// Free-form maps are fine as properties inside typed objects (answers, changes…).
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const [specPath, typesPath, clientTypesPath] = process.argv.slice(2);
if (!specPath || !typesPath || !clientTypesPath) {
  console.error('usage: node check-untyped.mjs SPEC.json SCHEMA.d.ts TYPES.gen.ts');
  process.exit(2);
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const CHECKED_STATUS = /^[24]/;
const failures = [];
const counts = { operations: 0, specBodies: 0, tsBodies: 0, clientBodies: 0 };

// --- 1. The document: every body schema is a $ref or has a type --------------------------
const spec = JSON.parse(readFileSync(specPath, 'utf8'));

function resolve(schema) {
  let current = schema;
  const seen = new Set();
  while (current && typeof current.$ref === 'string') {
    if (seen.has(current.$ref)) return current;
    seen.add(current.$ref);
    const path = current.$ref.replace(/^#\//, '').split('/');
    current = path.reduce((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return current;
}

function schemaProblem(schema, depth = 0) {
  const target = resolve(schema);
  if (!target || typeof target !== 'object') return 'unresolvable schema';
  if (Object.keys(target).length === 0) return 'empty schema {}';
  if ('const' in target || Array.isArray(target.enum)) return null;
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(target[key])) {
      for (const branch of target[key]) {
        const problem = schemaProblem(branch, depth);
        if (problem) return `${key} branch: ${problem}`;
      }
      return null;
    }
  }
  const types = [].concat(target.type ?? []);
  if (types.length === 0) return 'schema without a type';
  if (types.includes('array')) {
    if (!target.items) return 'array without items';
    const problem = schemaProblem(target.items, depth + 1);
    return problem ? `array items: ${problem}` : null;
  }
  if (types.includes('object') && depth === 0) {
    const hasProperties = target.properties && Object.keys(target.properties).length > 0;
    if (!hasProperties) {
      const values = target.additionalProperties;
      if (values === undefined || values === true || (values && Object.keys(values).length === 0)) {
        return 'free-form object at the top of the body';
      }
    }
  }
  return null;
}

for (const [path, item] of Object.entries(spec.paths ?? {})) {
  for (const [method, operation] of Object.entries(item)) {
    if (!METHODS.has(method)) continue;
    counts.operations += 1;
    const where = `${method.toUpperCase()} ${path} (${operation.operationId})`;
    const body = resolve(operation.requestBody ?? {}) ?? {};
    for (const [media, content] of Object.entries(body.content ?? {})) {
      counts.specBodies += 1;
      const problem = content.schema ? schemaProblem(content.schema) : 'no schema';
      if (problem) failures.push(`spec: ${where} request body ${media}: ${problem}`);
    }
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      if (!CHECKED_STATUS.test(status)) continue;
      for (const [media, content] of Object.entries(resolve(response).content ?? {})) {
        counts.specBodies += 1;
        const problem = content.schema ? schemaProblem(content.schema) : 'no schema';
        if (problem) failures.push(`spec: ${where} response ${status} ${media}: ${problem}`);
      }
    }
  }
}

// --- 2. The generated TypeScript, through the compiler's own view of the types -----------
const program = ts.createProgram([typesPath, clientTypesPath], {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  skipLibCheck: true,
  types: [],
});
const checker = program.getTypeChecker();
const UNTYPED = ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.NonPrimitive;

function typeProblem(type, depth = 0) {
  if (type.flags & UNTYPED) return checker.typeToString(type);
  if (type.isUnion()) {
    for (const member of type.types) {
      const problem = typeProblem(member, depth);
      if (problem) return problem;
    }
    return null;
  }
  if (checker.isArrayType(type)) {
    const [element] = checker.getTypeArguments(type);
    return element ? typeProblem(element, depth + 1) : 'array of nothing';
  }
  if (type.flags & ts.TypeFlags.Object && depth === 0) {
    const properties = checker.getPropertiesOfType(type);
    const index = checker.getIndexInfosOfType(type);
    if (properties.length === 0 && !checker.getSignaturesOfType(type, ts.SignatureKind.Call).length) {
      if (index.length === 0) return `${checker.typeToString(type)} (empty object)`;
      if (index.some((info) => info.type.flags & (UNTYPED | ts.TypeFlags.Never))) {
        return `${checker.typeToString(type)} (free-form map)`;
      }
    }
  }
  return null;
}

function property(type, name, node) {
  const symbol = checker.getPropertyOfType(type, name);
  return symbol ? checker.getNonNullableType(checker.getTypeOfSymbolAtLocation(symbol, node)) : null;
}

function isNever(type) {
  return !type || type.flags & ts.TypeFlags.Never;
}

function exported(sourceFile, predicate) {
  const found = [];
  ts.forEachChild(sourceFile, (node) => {
    if ((ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) && predicate(node.name.text)) {
      found.push(node);
    }
  });
  return found;
}

// openapi-typescript: `operations[operationId].requestBody.content[media]` and
// `operations[operationId].responses[status].content[media]`.
const typesFile = program.getSourceFile(typesPath);
const [operationsDecl] = exported(typesFile, (name) => name === 'operations');
if (!operationsDecl) failures.push(`${typesPath}: no \`operations\` interface`);
else {
  const operations = checker.getTypeAtLocation(operationsDecl);
  for (const op of checker.getPropertiesOfType(operations)) {
    const opType = checker.getTypeOfSymbolAtLocation(op, operationsDecl);
    const body = property(opType, 'requestBody', operationsDecl);
    if (!isNever(body)) {
      const content = property(body, 'content', operationsDecl);
      for (const media of isNever(content) ? [] : checker.getPropertiesOfType(content)) {
        counts.tsBodies += 1;
        const problem = typeProblem(checker.getTypeOfSymbolAtLocation(media, operationsDecl));
        if (problem) failures.push(`openapi-typescript: ${op.name} request body ${media.name}: ${problem}`);
      }
    }
    const responses = property(opType, 'responses', operationsDecl);
    for (const status of isNever(responses) ? [] : checker.getPropertiesOfType(responses)) {
      if (!CHECKED_STATUS.test(status.name)) continue;
      const response = checker.getTypeOfSymbolAtLocation(status, operationsDecl);
      const content = property(response, 'content', operationsDecl);
      for (const media of isNever(content) ? [] : checker.getPropertiesOfType(content)) {
        counts.tsBodies += 1;
        const problem = typeProblem(checker.getTypeOfSymbolAtLocation(media, operationsDecl));
        if (problem) {
          failures.push(`openapi-typescript: ${op.name} response ${status.name} ${media.name}: ${problem}`);
        }
      }
    }
  }
}

// @hey-api/openapi-ts: `<Op>Data.body`, `<Op>Responses[status]`, `<Op>Errors[status]`.
const clientFile = program.getSourceFile(clientTypesPath);
for (const decl of exported(clientFile, (name) => /(Data|Responses|Errors)$/.test(name))) {
  const type = checker.getTypeAtLocation(decl);
  const name = decl.name.text;
  if (name.endsWith('Data')) {
    const body = property(type, 'body', decl);
    if (!property(type, 'url', decl) || isNever(body)) continue;
    counts.clientBodies += 1;
    const problem = typeProblem(body);
    if (problem) failures.push(`hey-api: ${name}.body: ${problem}`);
    continue;
  }
  for (const status of checker.getPropertiesOfType(type)) {
    if (!CHECKED_STATUS.test(status.name)) continue;
    counts.clientBodies += 1;
    const problem = typeProblem(checker.getTypeOfSymbolAtLocation(status, decl));
    if (problem) failures.push(`hey-api: ${name}[${status.name}]: ${problem}`);
  }
}

console.log(
  `untyped-body check: ${counts.operations} operations; ` +
    `${counts.specBodies} bodies in the document, ${counts.tsBodies} in openapi-typescript, ` +
    `${counts.clientBodies} in the hey-api client`,
);
if (counts.tsBodies === 0 || counts.clientBodies === 0) {
  failures.push('no body was found in the generated TypeScript: the generators changed their output');
}
if (failures.length > 0) {
  for (const failure of failures) console.error(`UNTYPED ${failure}`);
  console.error(`untyped-body check: ${failures.length} untyped bodies`);
  process.exit(1);
}
console.log('untyped-body check: every request body and 2xx/4xx response body is typed');
