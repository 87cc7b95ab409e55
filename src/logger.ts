import pino, { type Logger } from 'pino';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';

/** One JSON line per event; `process` says which part of sagaway wrote it. */
export function createLogger(processName: string, level: string = 'info'): Logger {
  return pino({
    level,
    base: { process: processName },
    redact: { paths: ['req.headers.authorization', '*.authorization', '*.apiKey', '*.credentials'], censor: '[redacted]' },
  });
}

/** Routes the Temporal SDK's logs (workflow and activity loggers included) into pino. */
export function temporalLoggerFrom(logger: Logger): TemporalLogger {
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'info',
    WARN: 'warn',
    ERROR: 'error',
  };
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => logger[levels[level]]({ ...normalize(meta) }, message);
  return {
    log: write,
    trace: (m, meta) => write('TRACE', m, meta),
    debug: (m, meta) => write('DEBUG', m, meta),
    info: (m, meta) => write('INFO', m, meta),
    warn: (m, meta) => write('WARN', m, meta),
    error: (m, meta) => write('ERROR', m, meta),
  };
}

/** Every line about a saga carries its id as `sagaId`, whether the SDK calls it workflowId or not. */
function normalize(meta: LogMetadata | undefined): LogMetadata {
  if (!meta) return {};
  // The task token is an opaque blob that only makes lines long.
  const { taskToken: _taskToken, ...rest } = meta;
  const sagaId = rest.sagaId ?? rest.workflowId;
  return sagaId === undefined ? rest : { sagaId, ...rest };
}
