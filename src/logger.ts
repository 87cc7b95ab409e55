import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';

/**
 * One JSON line per event; `process` says which part of sagaway wrote it. In a terminal (stdout is a
 * TTY, or SAGAWAY_LOG_FORMAT=pretty, which `npm start` sets for its parts) the lines are pretty-printed.
 */
export function createLogger(processName: string, level: string = 'info', format: LogFormat = logFormatOf(process)): Logger {
  const options = {
    level,
    base: { process: processName },
    redact: { paths: ['req.headers.authorization', '*.authorization', '*.apiKey', '*.credentials'], censor: '[redacted]' },
  };
  if (format === 'json') return pino(options);
  return pino(options, pretty({ sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' }));
}

export type LogFormat = 'json' | 'pretty';

export function logFormatOf(proc: { env: NodeJS.ProcessEnv; stdout: { isTTY?: boolean } }): LogFormat {
  const asked = proc.env.SAGAWAY_LOG_FORMAT;
  if (asked === 'json' || asked === 'pretty') return asked;
  return proc.stdout.isTTY ? 'pretty' : 'json';
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
