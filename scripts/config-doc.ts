/**
 * Writes docs/configuration.md from src/config.ts: every SAGAWAY_ variable its schemas read, with its
 * default, the values it takes, what it does (its doc comment) and what production refuses. Read from the
 * source, so the page cannot say what the code does not. `npm run config-doc`; `--check` exits 1 when the
 * committed page is out of date (test/unit/config-doc.test.ts runs it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..');
const SOURCE = join(root, 'src', 'config.ts');
export const DOC = join(root, 'docs', 'configuration.md');

interface Variable {
  name: string;
  schema: string;
  description: string;
  fallback: string;
  values: string;
}

/** The calls a property's initializer chains, outermost last: `z.coerce.number().int().min(1).default(5)`. */
function chain(node: ts.Expression): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  let at: ts.Node = node;
  while (ts.isCallExpression(at) || ts.isPropertyAccessExpression(at)) {
    if (ts.isCallExpression(at)) calls.unshift(at);
    at = at.expression;
  }
  return calls;
}

const callName = (call: ts.CallExpression) =>
  ts.isPropertyAccessExpression(call.expression) ? call.expression.name.text : call.expression.getText();

function literal(node: ts.Expression | undefined): string {
  if (!node) return '';
  if (ts.isStringLiteral(node)) return node.text;
  if (ts.isIdentifier(node) && node.text.startsWith('DEV_')) return 'a public development value';
  return node.getText().replace(/_/g, '');
}

function describeValues(calls: ts.CallExpression[], text: string): string {
  const names = calls.map(callName);
  const enumCall = calls.find((c) => callName(c) === 'enum');
  if (enumCall && ts.isArrayLiteralExpression(enumCall.arguments[0]!)) {
    return enumCall.arguments[0].elements.map((e) => `\`${literal(e as ts.Expression)}\``).join(', ');
  }
  if (names[0] === 'flag') return '`true`, `false`';
  if (names.includes('number') || /^port\b/.test(text)) {
    const min = calls.find((c) => callName(c) === 'min')?.arguments[0];
    const max = calls.find((c) => callName(c) === 'max')?.arguments[0];
    if (/^port\b/.test(text)) return '0 to 65535';
    return min && max ? `${literal(min)} to ${literal(max)}` : 'a number';
  }
  if (/^url\b/.test(text) || names.includes('url')) return 'a URL';
  return 'text';
}

function describeDefault(calls: ts.CallExpression[]): string {
  const fallback = calls.find((c) => ['default', 'flag'].includes(callName(c)));
  if (fallback) return `\`${literal(fallback.arguments[0])}\``.replace(/^`(a public development value)`$/, '$1');
  return 'unset';
}

function docComment(node: ts.Node, source: ts.SourceFile): string {
  const ranges = ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [];
  const jsdoc = ranges.map((r) => source.text.slice(r.pos, r.end)).filter((c) => c.startsWith('/**')).at(-1);
  if (!jsdoc) return '';
  return jsdoc.replace(/^\/\*\*|\*\/$/g, '').split('\n').map((l) => l.replace(/^\s*\*?\s?/, '').trim()).filter(Boolean).join(' ');
}

/** SAGAWAY_ names in the string literals under `node`. */
function namesIn(node: ts.Node): string[] {
  const found: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isStringLiteralLike(n)) found.push(...(n.text.match(/SAGAWAY_[A-Z_]+/g) ?? []));
    n.forEachChild(visit);
  };
  visit(node);
  return found.filter((n) => n !== 'SAGAWAY_ENV');
}

interface Production {
  required: Set<string>;
  devValuesRefused: Set<string>;
  developmentOnly: Set<string>;
}

function readSource(): { variables: Variable[]; schemas: Map<string, string>; production: Production } {
  const source = ts.createSourceFile(SOURCE, readFileSync(SOURCE, 'utf8'), ts.ScriptTarget.Latest, true);
  const variables: Variable[] = [];
  const schemas = new Map<string, string>();
  const production: Production = { required: new Set(), devValuesRefused: new Set(), developmentOnly: new Set() };
  const visit = (node: ts.Node, schema: string) => {
    if (ts.isVariableStatement(node)) {
      const decl = node.declarationList.declarations[0]!;
      const name = decl.name.getText();
      if (name === 'REQUIRED_IN_PRODUCTION') namesIn(decl).forEach((n) => production.required.add(n));
      if (name === 'DEV_SECRETS') namesIn(decl).forEach((n) => production.devValuesRefused.add(n));
      if (name.endsWith('Schema')) {
        const comment = docComment(node, source) || (ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? []).map((r) => source.text.slice(r.pos, r.end).replace(/^\/\/\s*/, '')).join(' ');
        schemas.set(name, comment);
        schema = name;
      }
    }
    // A throw in a branch that asks for production, naming a variable: that variable is for development only.
    if ((ts.isIfStatement(node) || ts.isForOfStatement(node)) && /'production'/.test(node.getText()) && /throw new ConfigError/.test(node.getText()) && !/refuseDevSecrets/.test(node.getText())) {
      namesIn(node).forEach((n) => production.developmentOnly.add(n));
    }
    if (ts.isPropertyAssignment(node) && /^SAGAWAY_/.test(node.name.getText())) {
      const calls = chain(node.initializer);
      variables.push({
        name: node.name.getText(),
        schema,
        description: docComment(node, source),
        fallback: describeDefault(calls),
        values: describeValues(calls, node.initializer.getText()),
      });
    }
    node.forEachChild((child) => visit(child, schema));
  };
  visit(source, '');
  return { variables, schemas, production };
}

function productionNote(name: string, production: Production): string {
  if (production.developmentOnly.has(name)) return 'refused: development only';
  if (production.required.has(name)) return 'must be set; the development value is refused';
  if (production.devValuesRefused.has(name)) return 'the development value is refused';
  return '';
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function render(): string {
  const { variables, schemas, production } = readSource();
  const out = [
    '# Configuration',
    '',
    '<!-- Generated by `npm run config-doc` from src/config.ts: edit the doc comments there, not this file. -->',
    '',
    'Every part reads its configuration from the environment once, at start, and refuses to start on a bad value,',
    'naming the variable. A part started without `SAGAWAY_ENV` runs as production: the column "In production"',
    'says what it refuses there.',
  ];
  for (const [schema, comment] of schemas) {
    const rows = variables.filter((v) => v.schema === schema);
    if (rows.length === 0) continue;
    out.push('', `## \`${schema}\``, '');
    if (comment) out.push(comment.replace(/^-+\s*|\s*-+$/g, ''), '');
    out.push('| Variable | Default | Values | What it does | In production |', '| --- | --- | --- | --- | --- |');
    for (const v of rows) {
      out.push(`| \`${v.name}\` | ${cell(v.fallback)} | ${cell(v.values)} | ${cell(v.description || '(undocumented)')} | ${productionNote(v.name, production)} |`);
    }
  }
  return `${out.join('\n')}\n`;
}

if (require.main === module) {
  const text = render();
  if (process.argv.includes('--check')) {
    const current = readFileSync(DOC, 'utf8');
    if (current !== text) {
      process.stderr.write('docs/configuration.md is out of date: run npm run config-doc\n');
      process.exit(1);
    }
  } else {
    writeFileSync(DOC, text);
    process.stdout.write(`wrote ${DOC}\n`);
  }
}
