/**
 * `npm run audit -- <command>`: the audit trail from the command line.
 *   verify [--file x.jsonl] [--public-key kid:base64,...]   checks the store (or an export), names the first bad entry
 *   export [--since <ISO date>] [--out x.jsonl]              JSON Lines that verify on their own (stdout without --out)
 *   sign                                                     signs the chain's head now
 * Public keys default to those of SAGAWAY_AUDIT_SIGNING_KEYS; a regulator pins the published ones instead.
 * Exit codes: 0 verified, 1 a mismatch, 2 a bad command or configuration.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { openAuditStore } from '../src/audit';
import { AuditSigner } from '../src/audit/chain';
import { exportLines, verifyLines } from '../src/audit/export';
import type { TrailReport } from '../src/audit/verify';
import { auditConfigFrom, exitOnConfigError } from '../src/config';

const USAGE = 'usage: npm run audit -- verify [--file x.jsonl] [--public-key kid:base64] | export [--since <ISO date>] [--out x.jsonl] | sign';

function fail(message: string): never {
  process.stderr.write(`audit: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function printReport(report: TrailReport, source: string): void {
  const lines = [`${source}: ${report.entries} entries checked in ${report.sagas} sagas, ${report.checkpoints} signed checkpoints`];
  if (report.problem) {
    const { globalSeq, sagaId, sagaSeq, why } = report.problem;
    lines.push(`NOT VERIFIED at entry ${globalSeq}${sagaId ? ` (saga ${sagaId}, its entry ${sagaSeq})` : ''}: ${why}`);
  } else {
    lines.push(`verified: every entry matches its hash and both chains${report.signedThrough ? `, signed through entry ${report.signedThrough}` : ''}`);
    if (report.unsignedTail > 0) lines.push(`${report.unsignedTail} newer entries are not signed yet (the worker signs the head every SAGAWAY_AUDIT_SIGN_EVERY_SECONDS)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function pinnedKeys(raw: string | undefined, signingKeys: string): Record<string, string> {
  if (!raw) return new AuditSigner(signingKeys).publicKeys();
  return Object.fromEntries(raw.split(',').map((pair) => [pair.slice(0, pair.indexOf(':')), pair.slice(pair.indexOf(':') + 1)]));
}

async function main(): Promise<void> {
  const { positionals, values } = (() => {
    try {
      return parseArgs({ allowPositionals: true, options: { file: { type: 'string' }, 'public-key': { type: 'string' }, since: { type: 'string' }, out: { type: 'string' } } });
    } catch (err) {
      return fail((err as Error).message);
    }
  })();
  const command = positionals[0];
  const config = exitOnConfigError(() => auditConfigFrom());
  const keys = pinnedKeys(values['public-key'], config.signingKeys);
  if (command === 'verify' && values.file) {
    const report = verifyLines(readFileSync(values.file, 'utf8').split('\n'), keys);
    printReport(report, values.file);
    process.exitCode = report.ok ? 0 : 1;
    return;
  }
  if (command !== 'verify' && command !== 'export' && command !== 'sign') fail(command ? `unknown command ${command}` : 'a command is needed');
  const since = values.since ? new Date(values.since) : null;
  if (since && Number.isNaN(since.getTime())) fail(`--since ${values.since} is not a date`);
  const store = openAuditStore(config);
  try {
    if (command === 'verify') {
      const report = await store.verify(keys);
      printReport(report, config.databaseUrl ? 'the audit store (PostgreSQL)' : `the audit store (${config.storeDir})`);
      process.exitCode = report.ok ? 0 : 1;
    } else if (command === 'sign') {
      const checkpoint = await store.signHead();
      process.stdout.write(checkpoint ? `signed the head: entry ${checkpoint.globalSeq}, ${checkpoint.hash}\n` : 'the head is already signed (or the store is empty)\n');
    } else {
      const out = values.out ? createWriteStream(values.out) : process.stdout;
      for await (const line of exportLines(store, since)) if (!out.write(`${line}\n`)) await once(out, 'drain');
      if (values.out) {
        out.end();
        await once(out, 'finish');
      }
    }
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`audit: ${(err as Error).message}\n`);
  process.exit(2);
});
