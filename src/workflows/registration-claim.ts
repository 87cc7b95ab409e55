/**
 * Registration claim: one small workflow per student and section (id `claim-<sectionId>-<studentId>`)
 * whose run is a student's one live registration for that section. The API starts it with the id
 * conflict policy FAIL, so of two registrations sent together exactly one starts it; the other is told
 * who holds it (the run's memo). It lasts until the window closes; a claim whose saga ended is ended by
 * the next registration, which then starts its own.
 */
import { sleep } from '@temporalio/workflow';

export async function registrationClaim(input: { until: string }): Promise<void> {
  await sleep(Math.max(Date.parse(input.until) - Date.now(), 1));
}
