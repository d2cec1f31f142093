/**
 * The notification receiver: the platform POSTs each notification here. The path holds a secret (the platform
 * cannot sign what it sends); a wrong secret, a malformed or a foreign payload is refused and counted, and changes
 * nothing. It answers at once, before the change is applied: the platform sends one notification at a time per URL,
 * and re-sends what is not answered within 15 s.
 */
import express, { type Router } from 'express';
import { RECEIVER_PREFIX, type Mirror } from './mirror.js';

const MAX_NOTIFICATION_BYTES = 64 * 1024;

export function notificationReceiver(mirror: Mirror): Router {
  const router = express.Router();
  router.post(`${RECEIVER_PREFIX}:secret`, express.json({ limit: MAX_NOTIFICATION_BYTES, type: () => true }), (req, res) => {
    if (!mirror.isReceiverSecret(req.params.secret ?? '')) {
      mirror.refuse('wrong receiver secret');
      res.status(404).end();
      return;
    }
    res.status(mirror.receive(req.body) ? 200 : 400).end();
  });
  return router;
}
