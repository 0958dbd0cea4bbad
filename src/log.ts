// pino, with the places a secret could appear redacted. Message bodies are never logged
// unless the operator sets SWITCHBOARD_LOG_BODIES.
import pino, { type Logger } from 'pino';

export function createLogger(level: string, dest?: pino.DestinationStream): Logger {
  return pino({
    level,
    base: { service: 'switchboard' },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.authorization', '*.auth_token', '*.api_secret', '*.secret', '*.password', 'secret', 'config.adminKey', 'config.webhookSecret'],
      censor: '[redacted]',
    },
  }, dest);
}
