import type { Client } from '@temporalio/client';
import { SearchAttribute } from '../domain/saga';
import { HttpProblem } from './problems';
import { SingleFlight } from './single-flight';
import { unavailableAs503 } from './temporal-unavailable';

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's admission control; null when every start is let in. */
    admission: Admission | null;
  }
}

export interface AdmissionLimits {
  /** Running sagas one client may have (SAGAWAY_MAX_RUNNING_PER_CLIENT); 0: no bound. */
  perClient: number;
  /** Running sagas of every client together (SAGAWAY_MAX_RUNNING); 0: no bound. */
  total: number;
}

/** How long a count of running sagas is used before it is asked again (one count per client per period). */
const COUNT_FRESH_MS = 1_000;
const ALL = '';

/** Counts running sagas matching a visibility query (Temporal's CountWorkflowExecutions). */
export type RunningCounter = (query: string) => Promise<number>;

export function temporalCounter(client: Client): RunningCounter {
  return async (query) => {
    const res = await unavailableAs503(() => client.workflowService.countWorkflowExecutions({ namespace: client.options.namespace, query }));
    return Number(res.count ?? 0);
  };
}

/** A place taken for one start: `started` once the saga is, `release` (always safe to call) when nothing was. */
export interface Reservation {
  started(): void;
  release(): void;
}

interface Count {
  /** Running sagas as Temporal's visibility last counted them. */
  running: number;
  at: number;
  /** Sagas this API started since that count. */
  since: number;
}

/**
 * Refuses a new saga at the door when its client, or the instance, already has as many running as it may:
 * a 429 (the client's own bound) or a 503 (everyone's), both with Retry-After, before anything starts.
 * Counts come from Temporal's visibility, asked at most once a second per client however many starts
 * arrive, plus the starts this API made since and the ones it has let in that are still on their way
 * (so starts sent together cannot all pass one count); several API instances share the visibility count,
 * so together they overshoot by at most what each started within a second.
 */
export class Admission {
  private readonly counts = new Map<string, Count>();
  private readonly pending = new Map<string, number>();
  private readonly asks = new SingleFlight<Count>();

  constructor(
    private readonly count: RunningCounter,
    readonly limits: AdmissionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a place for a new saga of this client, or answers the problem that refuses it. */
  async reserve(clientId: string): Promise<Reservation | HttpProblem> {
    const bounds: Array<[string, number, () => HttpProblem]> = [
      [clientId, this.limits.perClient, () => tooManyRunning(this.limits.perClient)],
      [ALL, this.limits.total, atCapacity],
    ];
    const taken: string[] = [];
    const giveBack = () => taken.splice(0).forEach((key) => this.unpend(key));
    for (const [key, limit, problem] of bounds) {
      if (limit <= 0) continue;
      // A count that fails (Temporal's visibility away) gives back the places already taken.
      const counted = await this.fresh(key).catch((err: unknown) => {
        giveBack();
        throw err;
      });
      // No await between the check and the place taken: starts sent together are counted one by one.
      if (counted.running + counted.since + (this.pending.get(key) ?? 0) >= limit) {
        giveBack();
        return problem();
      }
      this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
      taken.push(key);
    }
    const keys = [...taken];
    return {
      started: () => {
        giveBack();
        for (const key of keys) {
          const entry = this.counts.get(key);
          if (entry) entry.since += 1;
        }
      },
      release: giveBack,
    };
  }

  private unpend(key: string): void {
    const left = (this.pending.get(key) ?? 1) - 1;
    if (left > 0) this.pending.set(key, left);
    else this.pending.delete(key);
  }

  private async fresh(key: string): Promise<Count> {
    const entry = this.counts.get(key);
    if (entry && this.now() - entry.at < COUNT_FRESH_MS) return entry;
    return this.asks.run(key, async () => {
      const counted = { running: await this.count(queryFor(key)), at: this.now(), since: 0 };
      if (this.counts.size > 10_000) this.forgetStale();
      this.counts.set(key, counted);
      return counted;
    });
  }

  private forgetStale(): void {
    for (const [key, entry] of this.counts) if (this.now() - entry.at >= COUNT_FRESH_MS) this.counts.delete(key);
  }
}

function tooManyRunning(perClient: number): HttpProblem {
  return new HttpProblem(429, 'too-many-running', 'Too many running sagas', `this client already has ${perClient} sagas running; start more once some have ended`, {}, { 'retry-after': '5' });
}

function atCapacity(): HttpProblem {
  return new HttpProblem(503, 'at-capacity', 'At capacity', 'sagaway is running as many sagas as it can finish in time; retry shortly', {}, { 'retry-after': '5' });
}

function queryFor(key: string): string {
  const running = 'ExecutionStatus = "Running"';
  return key === ALL ? `${SearchAttribute.client} IS NOT NULL AND ${running}` : `${SearchAttribute.client} = "${key}" AND ${running}`;
}
