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

/**
 * Refuses a new saga at the door when its client, or the instance, already has as many running as it may:
 * a 429 (the client's own bound) or a 503 (everyone's), both with Retry-After, before anything starts.
 * Counts come from Temporal's visibility, asked at most once a second per client however many starts
 * arrive, plus the starts this API made since; several API instances share the visibility count, so
 * together they overshoot by at most what each started within a second.
 */
export class Admission {
  private readonly counts = new Map<string, { running: number; at: number; since: number }>();
  private readonly asks = new SingleFlight<number>();

  constructor(
    private readonly count: RunningCounter,
    readonly limits: AdmissionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** The problem that refuses a new saga for this client now, or null when it may start. */
  async refusal(clientId: string): Promise<HttpProblem | null> {
    if (this.limits.perClient > 0 && (await this.running(clientId)) >= this.limits.perClient) {
      return new HttpProblem(429, 'too-many-running', 'Too many running sagas', `this client already has ${this.limits.perClient} sagas running; start more once some have ended`, {}, { 'retry-after': '5' });
    }
    if (this.limits.total > 0 && (await this.running(ALL)) >= this.limits.total) {
      return new HttpProblem(503, 'at-capacity', 'At capacity', 'sagaway is running as many sagas as it can finish in time; retry shortly', {}, { 'retry-after': '5' });
    }
    return null;
  }

  /** A saga this API just started, counted until the next visibility count includes it. */
  started(clientId: string): void {
    for (const key of [clientId, ALL]) {
      const entry = this.counts.get(key);
      if (entry) entry.since += 1;
    }
  }

  private async running(key: string): Promise<number> {
    const entry = this.counts.get(key);
    if (entry && this.now() - entry.at < COUNT_FRESH_MS) return entry.running + entry.since;
    const running = await this.asks.run(key, () => this.count(queryFor(key)));
    if (this.counts.size > 10_000) this.forgetStale();
    this.counts.set(key, { running, at: this.now(), since: 0 });
    return running;
  }

  private forgetStale(): void {
    for (const [key, entry] of this.counts) if (this.now() - entry.at >= COUNT_FRESH_MS) this.counts.delete(key);
  }
}

function queryFor(key: string): string {
  const running = 'ExecutionStatus = "Running"';
  return key === ALL ? `${SearchAttribute.client} IS NOT NULL AND ${running}` : `${SearchAttribute.client} = "${key}" AND ${running}`;
}
