import type { CampaignResult } from './campaign';

function table(title: string, rows: Array<[string, string | number]>): string {
  const lines = [`| ${title} | |`, '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)];
  return lines.join('\n');
}

export function printReport(result: CampaignResult): void {
  const out = [
    '',
    table('sagas by outcome', Object.entries(result.outcomes).sort()),
    '',
    table('return sagas (started by the pacs.004 of the network) by outcome', Object.entries(result.returns).sort()),
    '',
    table('backend faults: calls each hit', Object.entries(result.faults).sort()),
    '',
    table('events the campaign caused', Object.entries(result.events).sort()),
    '',
    table('restarts', Object.entries(result.restarts)),
    '',
    table('API answers to every request the campaign made', [
      ...Object.entries(result.api.byStatus).map(([k, v]) => [`HTTP ${k}`, v] as [string, number]),
      ...Object.entries(result.api.byRequest).map(([k, v]) => [`${k} requests`, v] as [string, number]),
      ...Object.entries(result.api.serverErrors).map(([k, v]) => [`5xx: ${k}`, v] as [string, number]),
      ['connection errors', result.api.connectionErrors],
    ]),
    '',
    table('cancels sent once the capture was in flight', Object.entries(result.pivotCancels).map(([k, v]) => [`HTTP ${k}`, v] as [string, number])),
    '',
    table('invariants (cases judged)', result.invariants.map((i) => [`${i.name} (${i.cases})`, i.held ? 'held' : `BROKEN: ${i.detail}`])),
    '',
    `sagas: ${result.sagas}; drained ${result.drainSeconds.toFixed(1)} s after the last fault`,
    `invariants: ${result.invariants.filter((i) => i.held).length} held, ${result.invariants.filter((i) => !i.held).length} broken`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}
