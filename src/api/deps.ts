import { createStorageClient } from '../activities/storage-client';
import { AesGcmCodec, parseCodecKeys } from '../codec/aes-gcm-codec';
import { sectionLimitFrom, type Config } from '../config';
import type { SagaTuning } from '../domain/saga';
import type { AppDeps } from './app';
import { IdPackager } from './id-package';
import { KioskStockCache } from './kiosk-stock';
import { sharedStateFrom } from './shared-state';

/** What the saga routes need from the config, built once per API process (and per test stack). */
export function sagaDepsFrom(config: Config, tuning: SagaTuning): Pick<AppDeps, 'sagas' | 'bikes' | 'classes' | 'codec' | 'protection' | 'bodyLimitBytes' | 'screens' | 'shared'> {
  const storage = createStorageClient(config.backends.urls.storage, config.backends.timeoutMs);
  const uiPort = config.temporalUiPort;
  const shared = sharedStateFrom(config.shared.redisUrl);
  return {
    shared,
    bodyLimitBytes: config.protection.maxBodyBytes,
    protection: { rateLimitPerMinute: config.protection.rateLimitPerMinute, maxEventLoopDelayMs: config.protection.maxEventLoopDelayMs, redis: shared.redis },
    codec: {
      // Display only: plain payloads (summaries, headers, old histories) pass through for the UI to show.
      codec: new AesGcmCodec(parseCodecKeys(config.codecKeys), true),
      uiOrigins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`],
      development: config.env === 'development',
    },
    screens: { development: config.env === 'development' },
    sagas: { orderDeadlineMs: config.sagas.orderDeadlineMs, localSteps: config.sagas.localSteps, localHolds: config.sagas.localHolds, localPivot: config.sagas.localPivot, tuning },
    bikes: {
      packager: new IdPackager(`${config.backends.urls.idcheck}/public-key`),
      stock: new KioskStockCache(storage, config.bikes.kioskCacheMs, shared.stockStore ?? undefined),
      sensorTimeoutMs: config.bikes.sensorTimeoutMs,
      visitorMaxBikes: config.bikes.visitorMaxBikes,
      feePerBike: { amountMinor: config.bikes.feePerBikeMinor, currency: 'EUR' },
    },
    classes: {
      registrarUrl: config.backends.urls.registrar,
      tuition: { amountMinor: config.classes.tuitionMinor, currency: 'EUR' },
      allocatorMaxHistory: config.classes.allocatorMaxHistory,
      maxRequestsPerSection: sectionLimitFrom(),
    },
  };
}
