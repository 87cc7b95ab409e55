import { z } from 'zod';

export const FaultSchema = z.object({
  op: z.string().min(1),
  /**
   * error: answers `status` without applying. latency: applies after `latencyMs` (or when the caller
   * hangs up). slow: applies after `latencyMs` whatever the caller does, so a retry with the same key
   * meanwhile is answered 409 "in progress". hang: never answers nor applies. drop: applies, then
   * resets the connection. malformed: answers an unreadable 2xx, after applying unless `applied` is false.
   */
  mode: z.enum(['error', 'latency', 'slow', 'hang', 'drop', 'malformed']),
  status: z.number().int().min(400).max(599).optional(),
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  count: z.number().int().min(1).optional(),
  rate: z.number().min(0).max(1).optional(),
  /** For `malformed`: false answers the unreadable 2xx without applying the call. */
  applied: z.boolean().optional(),
  /** Only calls made for this saga (their X-Saga-Id): tests that inject faults can then run side by side. */
  sagaId: z.string().min(1).optional(),
  /** The injector's name for this fault, echoed by the fault list with how many calls it hit. */
  label: z.string().min(1).max(200).optional(),
});
export type Fault = z.infer<typeof FaultSchema>;

/**
 * Faults a test or the chaos campaign injects into one service's operations. `count` faults fire on
 * the next N calls of the op; `rate` faults fire on that share of calls; with neither, on every call.
 */
export class FaultBook {
  private faults: Array<Fault & { remaining: number | null; fired: number }> = [];
  readonly fired = new Map<string, number>();

  constructor(private readonly random: () => number = Math.random) {}

  add(fault: Fault): void {
    this.faults.push({ ...fault, remaining: fault.count ?? null, fired: 0 });
  }

  clear(): void {
    this.faults = [];
  }

  /** The faults in force, each with how many of its counted calls are left (null: not counted) and how many calls it hit. */
  list(): Array<Fault & { remaining: number | null; fired: number }> {
    return this.faults.map((fault) => ({ ...fault }));
  }

  /** The fault to apply to this call of `op` (made for `sagaId`, if known), if any; consumes one of a counted fault. */
  take(op: string, sagaId: string | null = null): Fault | null {
    for (const fault of this.faults) {
      if (fault.op !== op && fault.op !== '*') continue;
      if (fault.sagaId !== undefined && fault.sagaId !== sagaId) continue;
      if (fault.remaining !== null && fault.remaining <= 0) continue;
      if (fault.rate !== undefined && this.random() >= fault.rate) continue;
      if (fault.remaining !== null) fault.remaining -= 1;
      fault.fired += 1;
      const key = `${op}:${fault.mode}`;
      this.fired.set(key, (this.fired.get(key) ?? 0) + 1);
      return fault;
    }
    return null;
  }
}
