import { ApplicationFailure } from '@temporalio/activity';
import { maskPersonalData } from '../audit/mask';
import type { AuditStore } from '../audit/store';
import type { AuditActivities, AuditEntryInput } from '../domain/audit';

/**
 * `appendAudit`: one entry in the store that outlives Temporal, personal data masked first. A store that
 * does not answer is an ordinary failure (retried); the entry's (sagaId, key) makes the retry write nothing twice.
 */
export function createAuditActivities(store: AuditStore | null): AuditActivities {
  return {
    async appendAudit(entry: AuditEntryInput) {
      const missing = (['sagaId', 'sagaType', 'kind', 'key'] as const).filter((field) => typeof entry[field] !== 'string' || entry[field].length === 0);
      if (missing.length > 0) throw ApplicationFailure.nonRetryable(`an audit entry needs ${missing.join(', ')}`, 'InvalidAuditEntry');
      if (!store) throw new Error('this worker has no audit store');
      return store.append({ ...entry, data: maskPersonalData(entry.data ?? {}) });
    },
  };
}
