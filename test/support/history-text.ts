import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { AesGcmCodec, parseCodecKeys } from '../../src/codec/aes-gcm-codec';

/**
 * Every payload in a workflow's history, decrypted through the payload codec and read as text: what
 * someone holding the codec keys (an operator with the Temporal UI) can see. Scanning the raw history
 * instead proves nothing, as the codec's ciphertext hides everything from it.
 */
export async function decodedHistoryText(client: Client, codecKeys: string, workflowId: string): Promise<string> {
  // Summaries and activity headers are not encrypted by design: read them as they are.
  const decoded = await new AesGcmCodec(parseCodecKeys(codecKeys), true).decode(await historyPayloads(client, workflowId));
  return textOf(decoded);
}

/** The same payloads as Temporal stores them, without the codec: what the server and its database hold. */
export async function storedHistoryText(client: Client, workflowId: string): Promise<string> {
  return textOf(await historyPayloads(client, workflowId));
}

async function historyPayloads(client: Client, workflowId: string): Promise<Payload[]> {
  const payloads: Payload[] = [];
  collectPayloads(await client.workflow.getHandle(workflowId).fetchHistory(), payloads);
  return payloads;
}

const textOf = (payloads: Payload[]) => payloads.map((p) => Buffer.from(p.data ?? []).toString('latin1')).join('\n');

function collectPayloads(node: unknown, out: Payload[]): void {
  if (node === null || typeof node !== 'object') return;
  const candidate = node as Payload;
  if (candidate.data instanceof Uint8Array && candidate.metadata && typeof candidate.metadata === 'object') {
    out.push(candidate);
    return;
  }
  for (const value of Object.values(node)) collectPayloads(value, out);
}
