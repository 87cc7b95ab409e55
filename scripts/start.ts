/**
 * `npm start`: the whole stack on embedded defaults, each part its own process (as a deployment runs
 * them), logs prefixed by process. Ctrl-C stops everything.
 */
import { DEV_API_KEYS, DEV_OPERATOR_KEYS, loadConfigOrExit } from '../src/config';
import { PART_ENTRIES, type PartName } from '../src/dev/part';
import { resolveTemporalCli, TemporalCliMissing } from '../src/dev/temporal-cli';
import { waitForPort } from '../src/dev/temporal-server';
import { Supervisor } from '../src/dev/supervisor';
import { temporalSettings } from '../src/temporal';

// `npm start` is the local demo: it opts into development (public keys, admin routes) unless told otherwise.
process.env.SAGAWAY_ENV ??= 'development';
process.env.SAGAWAY_BACKENDS_ADMIN ??= 'true';

const PARTS: Array<{ name: PartName; color: number }> = [
  { name: 'temporal', color: 35 },
  { name: 'backends', color: 36 },
  { name: 'worker', color: 33 },
  { name: 'api', color: 32 },
];

const parts = new Supervisor();

function run(part: (typeof PARTS)[number]): void {
  // The parts write into pipes; they pretty-print when this runs in a terminal.
  const env = process.stdout.isTTY ? { SAGAWAY_LOG_FORMAT: 'pretty', ...process.env } : process.env;
  const prefix = process.stdout.isTTY ? `\x1b[${part.color}m[${part.name}]\x1b[0m ` : `[${part.name}] `;
  parts.run(prefix, PART_ENTRIES[part.name], env);
}

const stopAll = (code: number) => parts.stopAll(code);

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  await resolveTemporalCli();
  const { address } = temporalSettings();
  const [host, port] = address.split(':');
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  // A closed terminal: the parts are stopped as on Ctrl-C.
  process.on('SIGHUP', () => void stopAll(0));
  for (const part of PARTS) run(part);
  await waitForPort(config.api.host, config.api.port, 120_000);
  const usingDevKey = !process.env.SAGAWAY_API_KEYS;
  const apiKey = usingDevKey ? DEV_API_KEYS.split(':')[1] : '<one of SAGAWAY_API_KEYS>';
  const api = `http://${config.api.host}:${config.api.port}`;
  process.stdout.write(
    [
      '',
      'sagaway is up',
      `  API          ${api}   (docs ${api}/docs, OpenAPI ${api}/openapi.json)`,
      `  Temporal UI  http://${host}:${config.temporalUiPort}`,
      `  Temporal     ${host}:${port}`,
      `  backends     http://${config.backends.host}:${config.backends.port}`,
      `  data folder  ${config.dataDir}`,
      usingDevKey ? `  API key      ${apiKey}   (the dev default: refused when SAGAWAY_ENV=production)` : '',
      process.env.SAGAWAY_OPERATOR_KEYS ? '' : `  operator key ${DEV_OPERATOR_KEYS.split(':')[1]}   (codec and operator actions; refused in production)`,
      '',
      'Try an order:',
      `  curl -s -X POST ${api}/v1/orders -H 'authorization: Bearer ${apiKey}' -H 'idempotency-key: first-order' \\`,
      `    -H 'content-type: application/json' -H 'prefer: wait=10' \\`,
      `    -d '{"customerId":"c-42","currency":"EUR","items":[{"sku":"book-001","quantity":2},{"sku":"lamp-002","quantity":1}],"paymentToken":"tok_visa","shippingAddress":{"name":"Ada","line1":"1 Main St","city":"Berlin","postalCode":"10115","country":"DE"}}'`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`sagaway: ${err instanceof TemporalCliMissing ? err.message : (err as Error).stack}\n`);
  void stopAll(1);
});
