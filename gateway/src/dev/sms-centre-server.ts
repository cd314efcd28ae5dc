import express from 'express';
import { createLogger, env, installProcessHandlers, parseEnv, requestScopeMiddleware, startOrExit } from '@selfcare/shared';
import { DevSmsCentre } from './sms-centre';

/**
 * The development SMS centre as a process of its own, for the distributed mode (docker compose): the
 * platform sends to SMS_CENTRE_URL=http://<host>:4010/dev/sms-centre, texts "sent to 4259" go to the
 * gateway's /sms/inbound webhook. In production the operator's SMS centre takes this place.
 */
void startOrExit(async () => {
  const config = parseEnv({
    SMS_CENTRE_PORT: env.port(4010),
    SMS_CENTRE_SECRET: env.secret(16),
    INBOUND_WEBHOOK_URL: env.url('http://127.0.0.1:4000/sms/inbound'),
  });
  const logger = createLogger('sms-centre');
  installProcessHandlers(logger);
  const centre = new DevSmsCentre(config.SMS_CENTRE_SECRET, () => config.INBOUND_WEBHOOK_URL);
  const app = express();
  app.use(requestScopeMiddleware);
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok', service: 'sms-centre' }));
  centre.mount(app);
  const server = app.listen(config.SMS_CENTRE_PORT, '0.0.0.0', () => logger.info({ port: config.SMS_CENTRE_PORT }, 'development SMS centre listening'));
  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
});
