/**
 * `npm run replay -- <saga id> [--save[=name]]`: fetches the saga's history from the Temporal the
 * environment points at (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ... as the worker reads them), replays it
 * against the workflow code of this checkout, decoding with SAGAWAY_CODEC_KEYS, and says whether it
 * replays (exit 0) or not (exit 1, with the determinism error). `--save` stores it in this release's
 * test/histories folder, where test/replay replays it on every run: a production incident becomes a
 * regression test. A saved history is sealed again with the public development key, which the replay
 * test reads; its payloads are whatever the saga carried, so read the file before committing it.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { dataConverterFrom } from '../src/codec';
import { AesGcmCodec, ENCRYPTED_ENCODING, parseCodecKeys } from '../src/codec/aes-gcm-codec';
import { DEV_CODEC_KEYS, loadConfigOrExit } from '../src/config';
import { temporalSettings } from '../src/temporal';
import { sagaViewSinks } from '../src/views/saga-view-store';
import { HISTORIES_DIR, RELEASE, type RecordedHistory } from '../test/support/history-files';
import { workflowBundle } from '../test/support/workflow-bundle';

// A developer's tool, run beside `npm start` (which opts its own parts into development): without
// SAGAWAY_ENV it reads the development defaults too, so `npm run replay -- <id>` works as the docs give it.
// Against a cluster, SAGAWAY_CODEC_KEYS and TEMPORAL_ADDRESS say where and how to read; it writes nothing there.
process.env.SAGAWAY_ENV ??= 'development';

interface Args {
  sagaId: string;
  save: string | null;
}

function parseArgs(argv: string[]): Args {
  const sagaId = argv.find((a) => !a.startsWith('--'));
  const save = argv.find((a) => a === '--save' || a.startsWith('--save='));
  if (!sagaId || !/^saga-[A-Za-z0-9_-]{1,64}$/.test(sagaId)) {
    process.stderr.write('usage: npm run replay -- <saga id> [--save[=file name]]\n');
    process.exit(2);
  }
  const name = save?.includes('=') ? save.slice('--save='.length) : `replayed-${sagaId}`;
  if (save && !/^[A-Za-z0-9_.-]{1,100}$/.test(name)) {
    process.stderr.write('--save=<name>: letters, digits, _ . - only\n');
    process.exit(2);
  }
  return { sagaId, save: save ? name.replace(/\.json$/, '') : null };
}

/** Every payload of the history, decoded with `from` and sealed again with `to` (the other fields kept). */
async function reseal(history: History, from: AesGcmCodec, to: AesGcmCodec): Promise<void> {
  const payloads: Payload[] = [];
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object' || ArrayBuffer.isView(node)) return;
    const candidate = node as Payload;
    if (candidate.data instanceof Uint8Array && candidate.metadata && Buffer.from(candidate.metadata.encoding ?? []).toString() === ENCRYPTED_ENCODING) {
      payloads.push(candidate);
      return;
    }
    for (const value of Object.values(node)) visit(value);
  };
  visit(history);
  for (const payload of payloads) {
    const [sealed] = await to.encode(await from.decode([payload]));
    payload.metadata = sealed!.metadata;
    payload.data = sealed!.data;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = loadConfigOrExit();
  const settings = temporalSettings();
  const connection = await Connection.connect(settings.connectionOptions);
  try {
    const client = new Client({ connection, namespace: settings.namespace, dataConverter: dataConverterFrom(config.codecKeys, config.security.codecAcceptPlaintext) });
    const handle = client.workflow.getHandle(args.sagaId);
    const description = await handle.describe();
    const history = await handle.fetchHistory();
    const events = history.events?.length ?? 0;
    process.stdout.write(`${args.sagaId}: ${description.type}, ${description.status.name}, ${events} events, from ${settings.address} (${settings.namespace})\n`);
    const options = {
      workflowBundle: await workflowBundle(false),
      sinks: sagaViewSinks(null),
      dataConverter: dataConverterFrom(config.codecKeys, config.security.codecAcceptPlaintext),
    };
    // runReplayHistory lets some failures through (a workflow type this code lacks); each result here says.
    let error: Error | undefined;
    for await (const result of Worker.runReplayHistories(options, [{ workflowId: args.sagaId, history }])) error = result.error as Error | undefined;
    if (error) {
      process.stdout.write(`does NOT replay against this checkout's workflow code: ${error.name}: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`replays against this checkout's workflow code\n`);
    if (args.save) {
      await reseal(history, new AesGcmCodec(parseCodecKeys(config.codecKeys), config.security.codecAcceptPlaintext), new AesGcmCodec(parseCodecKeys(DEV_CODEC_KEYS)));
      const record: RecordedHistory = { workflowId: args.sagaId, workflowType: description.type, outcome: `${description.status.name} (saved by npm run replay)`, history: JSON.parse(historyToJSON(history)) };
      const file = join(HISTORIES_DIR, `${args.save}.json`);
      // Written aside and renamed: a replay test running meanwhile never reads half a file.
      writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 1)}\n`);
      renameSync(`${file}.tmp`, file);
      process.stdout.write(`saved to test/histories/${RELEASE}/${args.save}.json\n`);
    }
  } finally {
    await connection.close();
  }
}

// A replay that never settles (a history with no workflow task in it) lets the process run dry: say so.
let settled = false;
process.on('exit', (code) => {
  if (!settled && code === 0) {
    process.stdout.write('the replay did not finish: the history has no workflow task this code could replay\n');
    process.exitCode = 1;
  }
});
void main().then(() => (settled = true));
