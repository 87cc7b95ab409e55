import type { Client } from '@temporalio/client';
import type { BackendName } from '../config';
import type { AuditStore } from '../audit/store';
import { reportAttempts } from './attempts';
import { createAuditActivities } from './audit-activities';
import { createBikeActivities, createFeeActivities } from './bike-activities';
import { createClassActivities, legacyClassActivities } from './class-activities';
import { createAlertActivities, type AlertWebhook } from './alerts';
import { BackendClient, type Authorizer } from './http-client';
import { createOrderActivities } from './order-activities';
import { createOtaHotelClient } from './ota-hotel-client';
import { createStorageClient } from './storage-client';
import { createCoreBankingClient } from './core-banking-client';
import { createTransferActivities } from './transfer-activities';
import { createTransferWaitActivities } from './transfer-wait';
import { createTravelActivities } from './travel-activities';

export interface ActivityDeps {
  urls: Record<BackendName, string>;
  timeoutMs: number;
  /** For activities that talk to other workflows (the seat allocators). */
  temporal: { client: Client; taskQueue: string } | null;
  /** Where `sendAlert` posts; alerts are a no-op without it. */
  alertWebhook?: AlertWebhook | null;
  /** Each backend's credentials (federation tokens, OAuth); none in unit tests of activities. */
  authorize?: (backend: BackendName) => Authorizer | undefined;
  /** Where `appendAudit` writes; without it the activity fails (and is retried) until a worker with a store takes it. */
  audit?: AuditStore | null;
}

export interface SagawayActivities {
  activities: Record<string, (...args: never[]) => Promise<unknown>>;
  close(): Promise<void>;
}

/** Builds every activity with its backend clients: one keep-alive pool per backend, shared by all. */
export function createActivities(deps: ActivityDeps): SagawayActivities {
  const client = (name: BackendName) => new BackendClient(name, deps.urls[name], { timeoutMs: deps.timeoutMs, authorize: deps.authorize?.(name) });
  const clients = {
    pricing: client('pricing'),
    inventory: client('inventory'),
    payments: client('payments'),
    shipping: client('shipping'),
    notifications: client('notifications'),
    idcheck: client('idcheck'),
    bikes: client('bikes'),
    kiosk: client('kiosk'),
    students: client('students'),
    registrar: client('registrar'),
    billing: client('billing'),
    flights: client('flights'),
    cars: client('cars'),
    fx: client('fx'),
    compliance: client('compliance'),
    network: client('network'),
  };
  const corebanking = createCoreBankingClient(deps.urls.corebanking, deps.timeoutMs, deps.authorize?.('corebanking'));
  const storage = createStorageClient(deps.urls.storage, deps.timeoutMs, deps.authorize?.('storage'));
  const hotels = createOtaHotelClient(deps.urls.hotels, deps.timeoutMs, deps.authorize?.('hotels'));
  const order = createOrderActivities(clients);
  const classes = createClassActivities({ ...clients, temporal: deps.temporal });
  return {
    activities: reportAttempts({
      ...order,
      ...createBikeActivities({ ...clients, storage }),
      ...createFeeActivities(order),
      ...classes,
      ...legacyClassActivities(classes),
      ...createTravelActivities({ ...clients, hotels }),
      ...createTransferActivities({ ...clients, corebanking }),
      ...createTransferWaitActivities(deps.temporal),
      ...createAlertActivities(deps.alertWebhook ?? null),
      ...createAuditActivities(deps.audit ?? null),
    }),
    close: async () => {
      await Promise.all([...Object.values(clients).map((c) => c.close()), storage.close(), hotels.close(), corebanking.close()]);
    },
  };
}
