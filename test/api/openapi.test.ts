/**
 * The served OpenAPI document is good enough for tools: Redocly's recommended rules find no error, and a
 * client generated from it (openapi-typescript + openapi-fetch) typechecks and drives an order to its end.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call } from '../support/http';
import { API_KEY, startStack, type Stack } from '../support/stack';

const root = join(__dirname, '..', '..');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
let stack: Stack;
let dir: string;

before(async () => {
  stack = await startStack();
  // Inside node_modules so the generated client resolves openapi-fetch; removed after.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  dir = mkdtempSync(join(root, 'node_modules', '.cache', 'sagaway-openapi-'));
  const spec = await call(stack.apiUrl, 'GET', '/openapi.json');
  assert.equal(spec.status, 200);
  writeFileSync(join(dir, 'openapi.json'), JSON.stringify(spec.body, null, 2));
});

after(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await stack?.stop();
});

function run(command: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(command, args, { cwd: dir, encoding: 'utf8', timeout: 120_000, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', ...env } });
}

const driver = `
import createClient from 'openapi-fetch';
import type { paths } from './schema';

async function main(): Promise<void> {
  const client = createClient<paths>({ baseUrl: process.env.API_URL, headers: { authorization: \`Bearer \${process.env.API_KEY}\` } });
  const started = await client.POST('/v1/orders', {
    params: { header: { 'idempotency-key': \`generated-\${Date.now()}\`, prefer: 'wait=30' } },
    body: {
      customerId: 'c-gen',
      currency: 'EUR',
      items: [{ sku: 'book-001', quantity: 1 }],
      paymentToken: 'tok_visa',
      shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
    },
  });
  if (!started.data) throw new Error(\`start failed: \${started.response.status} \${JSON.stringify(started.error)}\`);
  const read = await client.GET('/v1/sagas/{id}', { params: { path: { id: started.data.id } } });
  if (!read.data) throw new Error(\`read failed: \${read.response.status}\`);
  process.stdout.write(JSON.stringify({ status: started.response.status, id: read.data.id, sagaStatus: read.data.status }));
}

void main();
`;

describe('the served OpenAPI document', () => {
  it('has servers, and a summary and an operationId on every operation, and an example for every request body', async () => {
    const spec = (await call(stack.apiUrl, 'GET', '/openapi.json')).body;
    assert.ok(spec.servers?.length > 0);
    assert.match(spec.info.description, /Idempotency-Key/);
    assert.match(spec.info.description, /retention/);
    for (const [path, operations] of Object.entries<Record<string, any>>(spec.paths)) {
      for (const [method, operation] of Object.entries<any>(operations)) {
        assert.ok(operation.summary, `${method} ${path} has a summary`);
        assert.match(operation.operationId ?? '', /^[a-z][A-Za-z]+$/, `${method} ${path} has an operationId`);
        for (const media of Object.values<any>(operation.requestBody?.content ?? {})) assert.ok(media.example ?? media.examples, `${method} ${path} has a body example`);
      }
    }
  });

  it('passes redocly lint with the recommended rules', () => {
    const lint = run(bin('redocly'), ['lint', '--extends', 'recommended', '--format', 'summary', 'openapi.json']);
    assert.equal(lint.status, 0, `${lint.stdout}\n${lint.stderr}`);
    assert.doesNotMatch(lint.stdout + lint.stderr, /^error /m);
  });

  it('generates a typed client that typechecks and drives an order to its end', () => {
    const generated = run(bin('openapi-typescript'), ['openapi.json', '-o', 'schema.ts']);
    assert.equal(generated.status, 0, generated.stderr);
    writeFileSync(join(dir, 'driver.ts'), driver);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', skipLibCheck: true, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] }, files: ['driver.ts', 'schema.ts'] }));
    const typecheck = run(bin('tsc'), ['-p', '.']);
    assert.equal(typecheck.status, 0, typecheck.stdout);
    const drive = run(process.execPath, ['--import', 'tsx', 'driver.ts'], { API_URL: stack.apiUrl, API_KEY });
    assert.equal(drive.status, 0, drive.stderr);
    const outcome = JSON.parse(drive.stdout);
    assert.equal(outcome.status, 200);
    assert.equal(outcome.sagaStatus, 'COMPLETED');
  });
});
