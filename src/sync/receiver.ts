/**
 * The notification receiver: the platform POSTs each notification here. The path holds a secret (the platform
 * cannot sign what it sends); a wrong secret, a malformed, an oversized or a foreign payload is refused and counted,
 * and changes nothing. An accepted one is answered 200 only once it is in the notification journal (the platform does
 * not send again what it got a 2xx for), and 503 when it cannot be kept there: the platform sends it again for 10
 * minutes. The store is not needed to answer; the mirror applies what the journal holds in order, as the store allows.
 *
 * Its answers are its own, not GraphQL's: a bare status, and for a body it cannot read (not JSON, over its limit) one
 * line of plain text saying why.
 */
import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express';
import { RECEIVER_PREFIX, type Reception } from './inbox.js';
import type { Mirror } from './mirror.js';

/** The receiver's own limit, fixed: a notification is a few hundred bytes (GATEWAY_MAX_BODY_BYTES is GraphQL's). */
const MAX_NOTIFICATION_BYTES = 64 * 1024;
const STATUS: Record<Reception, number> = { taken: 200, refused: 400, unavailable: 503 };

export function notificationReceiver(mirror: Mirror): Router {
  const router = express.Router();
  const path = `${RECEIVER_PREFIX}:secret`;
  // The secret first: a stranger learns nothing of what the receiver would make of a body.
  const secretKnown: RequestHandler<{ secret: string }> = (req, res, next) => {
    if (mirror.isReceiverSecret(req.params.secret)) {
      next();
      return;
    }
    mirror.refuse('wrong receiver secret');
    res.status(404).end();
  };
  const bodyRefused: ErrorRequestHandler = (error: { status?: unknown; type?: unknown }, _req, res, next) => {
    const status = typeof error.status === 'number' ? error.status : 500;
    if (res.headersSent || status >= 500) {
      next(error);
      return;
    }
    const reason =
      error.type === 'entity.too.large'
        ? `notification larger than ${MAX_NOTIFICATION_BYTES} bytes, the receiver's fixed limit`
        : error.type === 'entity.parse.failed'
          ? 'notification body is not valid JSON'
          : `notification body refused (${String(error.type ?? status)})`;
    mirror.refuse(reason);
    res.status(status).type('text/plain').send(`${reason}\n`);
  };
  router.post(path, secretKnown, express.json({ limit: MAX_NOTIFICATION_BYTES, type: () => true }), async (req, res) => {
    const answer = await mirror.receive(req.body);
    res.status(STATUS[answer]).end();
  });
  router.use(path, bodyRefused);
  return router;
}
