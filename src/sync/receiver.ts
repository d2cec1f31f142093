/**
 * The notification receiver: the platform POSTs each notification here. The path holds a secret (the platform
 * cannot sign what it sends); a wrong secret, a malformed or a foreign payload is refused and counted, and changes
 * nothing. An accepted one is answered 200 only once it is in the notification journal (the platform does not send
 * again what it got a 2xx for), and 503 when it cannot be kept there: the platform sends it again for 10 minutes.
 * The store is not needed to answer; the mirror applies what the journal holds in order, as the store allows.
 */
import express, { type Router } from 'express';
import { RECEIVER_PREFIX, type Reception } from './inbox.js';
import type { Mirror } from './mirror.js';

const MAX_NOTIFICATION_BYTES = 64 * 1024;
const STATUS: Record<Reception, number> = { taken: 200, refused: 400, unavailable: 503 };

export function notificationReceiver(mirror: Mirror): Router {
  const router = express.Router();
  router.post(`${RECEIVER_PREFIX}:secret`, express.json({ limit: MAX_NOTIFICATION_BYTES, type: () => true }), async (req, res) => {
    if (!mirror.isReceiverSecret(req.params.secret ?? '')) {
      mirror.refuse('wrong receiver secret');
      res.status(404).end();
      return;
    }
    res.status(STATUS[await mirror.receive(req.body)]).end();
  });
  return router;
}
