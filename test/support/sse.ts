import { API_KEY } from './stack';

export interface SseEvent {
  id: string;
  event: string;
  data: any;
}

/**
 * Reads a Server-Sent Events stream until it closes, `stopWhen` says so, or the time is up; answers
 * the events seen and whether the server closed the stream.
 */
export async function readEvents(
  url: string,
  options: { lastEventId?: string; stopWhen?: (events: SseEvent[], comments: number) => boolean; timeoutMs?: number; key?: string } = {},
): Promise<{ status: number; events: SseEvent[]; closedByServer: boolean; comments: number }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs ?? 30_000);
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? API_KEY}`, accept: 'text/event-stream' };
  if (options.lastEventId) headers['last-event-id'] = options.lastEventId;
  const events: SseEvent[] = [];
  let comments = 0;
  let closedByServer = false;
  try {
    const res = await fetch(url, { headers, signal: abort.signal });
    if (res.status !== 200 || !res.body) return { status: res.status, events, closedByServer: true, comments };
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let at: number;
      while ((at = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        const event = parseBlock(block);
        if (event) events.push(event);
        else if (block.startsWith(':')) comments += 1;
      }
      if (options.stopWhen?.(events, comments)) {
        abort.abort();
        return { status: 200, events, closedByServer: false, comments };
      }
    }
    closedByServer = true;
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
  }
  return { status: 200, events, closedByServer, comments };
}

function parseBlock(block: string): SseEvent | null {
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    const at = line.indexOf(': ');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 2);
  }
  if (!fields.id || !fields.event) return null;
  return { id: fields.id, event: fields.event, data: JSON.parse(fields.data ?? 'null') };
}
