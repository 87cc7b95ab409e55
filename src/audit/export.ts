/**
 * The audit as JSON Lines a regulator can verify without sagaway's database: a header (with the public
 * keys, for reference only: a verifier pins its own), then every entry from a date on, in the global
 * chain's order, then the signed checkpoints among them. The head is signed first, so nothing is unsigned.
 */
import { canonicalJson, type AuditCheckpoint, type AuditRecord } from './chain';
import type { AuditStore } from './store';
import { TrailVerifier, type TrailReport } from './verify';

export const EXPORT_FORMAT = 'sagaway-audit/1';

type Line =
  | { type: 'header'; format: string; since: string | null; exportedAt: string; publicKeys: Record<string, string> }
  | { type: 'entry'; entry: AuditRecord }
  | { type: 'checkpoint'; checkpoint: AuditCheckpoint };

export async function* exportLines(store: AuditStore, since: Date | null, now = new Date()): AsyncGenerator<string> {
  await store.signHead();
  const signed = await store.checkpoints();
  // Entries written after the head was signed wait for the next export: every exported entry is signed.
  const head = signed[signed.length - 1]?.globalSeq ?? 0;
  yield canonicalJson({ type: 'header', format: EXPORT_FORMAT, since: since?.toISOString() ?? null, exportedAt: now.toISOString(), publicKeys: store.publicKeys() });
  let first: number | null = null;
  let last = 0;
  for await (const entry of store.entriesSince(since ?? undefined, head)) {
    first ??= entry.globalSeq;
    last = entry.globalSeq;
    yield canonicalJson({ type: 'entry', entry });
  }
  if (first === null) return;
  for (const checkpoint of signed) {
    if (checkpoint.globalSeq >= first && checkpoint.globalSeq <= last) yield canonicalJson({ type: 'checkpoint', checkpoint });
  }
}

/**
 * Verifies an export, line by line. `publicKeys`: the keys the verifier trusts; the file's own are used
 * only when none are given (then a forger who re-signed the file with a key of their own passes).
 */
export function verifyLines(lines: Iterable<string>, publicKeys: Record<string, string> | null): TrailReport & { keysFrom: 'pinned' | 'file' } {
  const parsed: Line[] = [];
  for (const [index, text] of [...lines].entries()) {
    if (text.trim() === '') continue;
    try {
      parsed.push(JSON.parse(text) as Line);
    } catch {
      return { ...failed(`line ${index + 1} is not JSON`), keysFrom: publicKeys ? 'pinned' : 'file' };
    }
  }
  const header = parsed[0];
  if (header?.type !== 'header' || header.format !== EXPORT_FORMAT) return { ...failed(`the first line is not a ${EXPORT_FORMAT} header`), keysFrom: publicKeys ? 'pinned' : 'file' };
  const checkpoints = parsed.flatMap((line) => (line.type === 'checkpoint' ? [line.checkpoint] : []));
  const verifier = new TrailVerifier(checkpoints, publicKeys ?? header.publicKeys, header.since === null);
  for (const line of parsed) if (line.type === 'entry' && !verifier.check(line.entry)) break;
  const report = verifier.report();
  // An export ends on a signed entry; unsigned entries at its end were added, or the end was cut off.
  if (report.ok && report.unsignedTail > 0) {
    return { ...report, ok: false, keysFrom: publicKeys ? 'pinned' : 'file', problem: { globalSeq: report.signedThrough ?? 0, sagaId: null, sagaSeq: null, why: `${report.unsignedTail} entries follow the last signed checkpoint (the file was extended, or its end was cut off)` } };
  }
  return { ...report, keysFrom: publicKeys ? 'pinned' : 'file' };
}

function failed(why: string): TrailReport {
  return { ok: false, entries: 0, sagas: 0, checkpoints: 0, signedThrough: null, unsignedTail: 0, problem: { globalSeq: 0, sagaId: null, sagaSeq: null, why } };
}
