import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Browser, Page } from 'playwright-core';
import { screenRoutes } from '../../src/api/routes/screens';
import { browserMissing, launchBrowser } from '../support/browser';

const skip = browserMissing() ?? false;

/**
 * How the screens follow a saga (common.js followSaga, through the client package's browser build), against a stand-in API whose saga moves only when
 * the test says: with the events stream each event is shown at once, without it the view is polled, and
 * the stream is closed when the saga ends.
 */
interface StandIn {
  app: FastifyInstance;
  url: string;
  version: number;
  streams: ServerResponse[];
  closed: number;
}

async function standIn(withEvents: boolean): Promise<StandIn> {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  screenRoutes(app, { development: false, visitorMaxBikes: 1, feePerBike: { amountMinor: 350, currency: 'EUR' } });
  const state: StandIn = { app, url: '', version: 1, streams: [], closed: 0 };
  app.get('/follow', (_request, reply) =>
    reply.type('text/html').send(`<!doctype html><script type="module">
      import { SagawayClient } from '/screens/client/index.js';
      import { followSaga } from '/screens/common.js';
      window.views = [];
      const slow = Number(new URLSearchParams(location.search).get('slowMs'));
      followSaga(new SagawayClient({ baseUrl: location.origin, apiKey: 'a-key' }), 'saga-x', (view) => window.views.push(view.version), { fastMs: 300, slowMs: slow });
    </script>`));
  app.get('/v1/sagas/saga-x', async () => ({
    id: 'saga-x',
    version: state.version,
    status: state.version >= 3 ? 'COMPLETED' : 'RUNNING',
    updatedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, state.version)).toISOString(),
  }));
  if (withEvents) {
    app.get('/v1/sagas/saga-x/events', (_request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      reply.raw.write('retry: 2000\n\n');
      reply.raw.on('close', () => (state.closed += 1));
      state.streams.push(reply.raw);
    });
  }
  state.url = await app.listen({ host: '127.0.0.1', port: 0 });
  return state;
}

/** Ends what a failed test may have left open (a hijacked stream keeps the server from closing). */
async function stopStandIn(state: StandIn): Promise<void> {
  for (const stream of state.streams) stream.destroy();
  await state.app.close();
}

/** The saga moves on, and every open stream says so. */
function move(state: StandIn): void {
  state.version += 1;
  for (const stream of state.streams) stream.write(`id: f.${state.version}\nevent: step\ndata: {"step":"s","status":"SUCCEEDED"}\n\n`);
}

const shown = (page: Page, version: number) => page.waitForFunction((v) => (globalThis as any).views.includes(v), version, { timeout: 10_000 });

let browser: Browser;
before(async () => {
  if (!skip) browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

describe('following a saga from a screen', { skip }, () => {
  it('shows each move as its event arrives, with no poll needed, and closes the stream when the saga ends', async () => {
    const api = await standIn(true);
    try {
      const page = await browser.newPage();
      // A poll an hour apart: whatever shows up within the test came through the events.
      await page.goto(`${api.url}/follow?slowMs=3600000`);
      await shown(page, 1);
      const deadline = Date.now() + 10_000;
      while (api.streams.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(api.streams.length, 1, 'the page opened the events stream');
      move(api);
      await shown(page, 2);
      move(api);
      await shown(page, 3);
      const closedBy = Date.now() + 10_000;
      while (api.closed === 0 && Date.now() < closedBy) await new Promise((r) => setTimeout(r, 50));
      assert.equal(api.closed, 1, 'the stream was closed once the saga ended');
      await page.close();
    } finally {
      await stopStandIn(api);
    }
  });

  it('polls the view where the API has no events', async () => {
    const api = await standIn(false);
    try {
      const page = await browser.newPage();
      await page.goto(`${api.url}/follow?slowMs=3600000`);
      await shown(page, 1);
      api.version = 3;
      await shown(page, 3);
      await page.close();
    } finally {
      await stopStandIn(api);
    }
  });
});
