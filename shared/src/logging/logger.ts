import pino from 'pino';
import { currentRequest } from '../http/request-store';

export type Logger = pino.Logger;

/** One JSON logger per service; every line written during a request carries its request id. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: { paths: ['password', '*.password', 'refreshToken', '*.refreshToken', 'authorization', '*.authorization'], remove: true },
    mixin() {
      const request = currentRequest();
      return request ? { requestId: request.requestId } : {};
    },
  });
}
