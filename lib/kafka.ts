import { Kafka, type KafkaConfig, type logCreator, logLevel } from 'kafkajs';
import type { Logger } from './log.ts';

/**
 * Options for {@link createKafka}.
 * - `brokers` (string[], required): bootstrap addresses as `host:port`.
 * - `clientId` (string, default `meshgraph`): names this client in broker logs and quotas.
 * - `log` (pino Logger, required): kafkajs's own logs go to a child of it (`component: kafkajs`),
 *   at the same minimum level.
 * - `config` (kafkajs KafkaConfig minus the fields above, default `{}`): anything else kafkajs
 *   takes, such as `connectionTimeout`, `requestTimeout` or `retry`.
 */
export interface CreateKafkaOptions {
  brokers: string[];
  clientId?: string;
  log: Logger;
  config?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logLevel' | 'logCreator'>;
}

/** A kafkajs client whose log lines are pino records instead of kafkajs's console JSON. */
export function createKafka(options: CreateKafkaOptions): Kafka {
  const { brokers, clientId = 'meshgraph', log, config = {} } = options;
  const child = log.child({ component: 'kafkajs' });
  return new Kafka({
    ...config,
    brokers,
    clientId,
    // kafkajs filters by its own level before calling us; keep it in step with pino's so debug
    // entries are not built just to be dropped.
    logLevel: kafkajsLevel(child.level),
    logCreator: pinoLogCreator(child),
  });
}

/** pino level name → the kafkajs level that lets the same records through. */
export function kafkajsLevel(pinoLevel: string): logLevel {
  switch (pinoLevel) {
    case 'silent':
      return logLevel.NOTHING;
    case 'fatal':
    case 'error':
      return logLevel.ERROR;
    case 'warn':
      return logLevel.WARN;
    case 'info':
      return logLevel.INFO;
    default: // debug, trace
      return logLevel.DEBUG;
  }
}

/** A kafkajs logCreator writing each entry as a pino record: namespace and extra fields kept. */
export function pinoLogCreator(log: Logger): logCreator {
  return () =>
    ({ namespace, level, log: entry }) => {
      // kafkajs's timestamp and logger name duplicate pino's own fields.
      const { message, timestamp: _timestamp, logger: _logger, ...fields } = entry;
      const record = { namespace, ...fields };
      switch (level) {
        case logLevel.ERROR:
          log.error(record, message);
          break;
        case logLevel.WARN:
          log.warn(record, message);
          break;
        case logLevel.INFO:
          log.info(record, message);
          break;
        default:
          log.debug(record, message);
      }
    };
}
