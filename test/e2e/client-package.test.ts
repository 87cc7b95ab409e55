/**
 * The client package as a user gets it: built, installed with `npm install <path>` into a new project, and
 * its README's example run as written against a running stack (an order followed to its end, another
 * cancelled before its pivot). Also: its types are what the running API serves, and `follow` resumes a
 * dropped stream with Last-Event-ID, losing and repeating nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GENERATED, typesFrom } from '../../packages/client/scripts/generate';
import { SagawayClient, type SagaEvent } from '../../packages/client/src';
import { backendRecords, call, clearFaults, injectFault } from '../support/http';
import { orderBody } from '../support/orders';
import { readEvents } from '../support/sse';
import { API_KEY, startStack, type Stack } from '../support/stack';

const root = join(__dirname, '..', '..');
const packageDir = join(root, 'packages', 'client');
let stack: Stack;
let project: string;

before(async () => {
  stack = await startStack();
  project = mkdtempSync(join(tmpdir(), 'sagaway-client-user-'));
});

after(async () => {
  if (project) rmSync(project, { recursive: true, force: true });
  await stack?.stop();
});

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 180_000, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...env } });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The README's one `ts` block: the example a user copies. */
function readmeExample(): string {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.equal(blocks.length, 1, 'the README has one example');
  return blocks[0]!;
}

describe('@sagaway/client', () => {
  it('its types are those of the OpenAPI document the running API serves', async () => {
    const served = await call(stack.apiUrl, 'GET', '/openapi.json');
    assert.equal(served.status, 200);
    assert.equal(readFileSync(GENERATED, 'utf8'), await typesFrom(served.body), 'packages/client/src/openapi.ts is stale: run npx tsx packages/client/scripts/generate.ts');
  });

  it('its browser build, which the screens load, is built from its sources as they are', () => {
    const out = mkdtempSync(join(tmpdir(), 'sagaway-client-browser-'));
    try {
      run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.browser.json', '--outDir', out], packageDir);
      const built = readdirSync(out).sort();
      assert.deepEqual(readdirSync(join(packageDir, 'browser')).sort(), built, 'packages/client/browser is stale: run npm run build:browser in packages/client');
      for (const name of built) assert.equal(readFileSync(join(packageDir, 'browser', name), 'utf8'), readFileSync(join(out, name), 'utf8'), `packages/client/browser/${name} is stale: run npm run build:browser in packages/client`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("installs into a new project with npm install <path>, and its README's example runs an order, a follow and a cancel", async () => {
    run('npm', ['run', 'build'], packageDir);
    run('npm', ['init', '-y'], project);
    run('npm', ['install', '--no-audit', '--no-fund', packageDir], project);
    writeFileSync(join(project, 'example.ts'), readmeExample());
    // The second order is slow to authorize, so its cancel lands before the pivot.
    await injectFault(stack.backendsUrl, 'payments', { op: 'authorize', mode: 'latency', latencyMs: 1_500 });
    let output: string;
    try {
      output = run(join(root, 'node_modules', '.bin', 'tsx'), ['example.ts'], project, { SAGAWAY_URL: stack.apiUrl, SAGAWAY_API_KEY: API_KEY });
    } finally {
      await clearFaults(stack.backendsUrl, 'payments');
    }
    const ids = [...output.matchAll(/^order (saga-\S+) ended (\w+)$/gm)].map((m) => ({ id: m[1]!, status: m[2]! }));
    assert.equal(ids.length, 2, output);
    assert.equal(ids[0]!.status, 'COMPLETED', output);
    assert.match(output, /step capturePayment: SUCCEEDED/, 'the follow saw the pivot');
    assert.match(output, /^ {2}saga: COMPLETED$/m);
    assert.equal(ids[1]!.status, 'COMPENSATED', output);
    assert.match(output, /cancelled: COMPENSATED/);
    // What the backends recorded: the first order charged, the cancelled one's stock released and nothing charged.
    assert.deepEqual((await backendRecords(stack.backendsUrl, 'payments', ids[0]!.id)).map((r) => r.status), ['CAPTURED']);
    assert.deepEqual((await backendRecords(stack.backendsUrl, 'inventory', ids[1]!.id)).map((r) => r.status), ['RELEASED']);
    assert.ok((await backendRecords(stack.backendsUrl, 'payments', ids[1]!.id)).every((r) => r.status !== 'CAPTURED'));
  });

  it('follow resumes a dropped stream with Last-Event-ID: every transition once', async () => {
    const sent: Array<string | null> = [];
    let cut = false;
    // The first stream is cut after its first event, as a proxy closing an idle connection would.
    const dropping: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith('/events')) return res;
      sent.push(new Headers(init?.headers).get('last-event-id'));
      if (cut) return res;
      cut = true;
      const reader = res.body!.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { value } = await reader.read();
          controller.enqueue(value!);
          if (new TextDecoder().decode(value).includes('id: ')) {
            await reader.cancel();
            controller.error(new TypeError('terminated'));
          }
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    };
    await injectFault(stack.backendsUrl, 'payments', { op: 'authorize', mode: 'latency', latencyMs: 1_000 });
    const client = new SagawayClient({ baseUrl: stack.apiUrl, apiKey: API_KEY, fetch: dropping });
    const started = await client.startOrder(orderBody() as never);
    const seen: SagaEvent[] = [];
    try {
      for await (const event of client.follow(started.id)) seen.push(event);
    } finally {
      await clearFaults(stack.backendsUrl, 'payments');
    }
    assert.ok(sent.length >= 2, 'the stream was opened again');
    assert.equal(sent[0], null);
    assert.ok(sent[1], 'with Last-Event-ID');
    const ids = seen.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    // The same transitions as one unbroken stream of the ended saga (a new feed: its own ids and order).
    const whole = await readEvents(`${stack.apiUrl}/v1/sagas/${started.id}/events`);
    const label = (e: { event: string; data: any }) => `${e.event} ${e.data.step ?? ''} ${e.data.status ?? e.data.action}`;
    assert.deepEqual(seen.map(label).sort(), whole.events.map(label).sort());
    assert.equal(new Set(seen.map(label)).size, seen.length, 'no transition twice');
    assert.equal(label(seen.at(-1)!), 'status  COMPLETED');
  });
});
