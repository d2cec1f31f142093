/**
 * The notification receiver: the platform POSTs each notification here. The path holds a secret (the platform
 * cannot sign what it sends); a wrong secret, a malformed or a foreign payload is refused and counted, and changes
 * nothing. It answers at once, before the change is applied: the platform sends one notification at a time per URL,
 * and re-sends what is not answered within 15 s.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import type { Mirror } from './mirror.js';

export const RECEIVER_PREFIX = '/mirror/notifications/';
const MAX_NOTIFICATION_BYTES = 64 * 1024;

export function notificationReceiver(mirror: Mirror): Router {
  const router = express.Router();
  router.post(`${RECEIVER_PREFIX}:secret`, express.json({ limit: MAX_NOTIFICATION_BYTES, type: () => true }), (req, res) => {
    if (!sameSecret(req.params.secret ?? '', mirror.receiverPath.slice(RECEIVER_PREFIX.length))) {
      mirror.refuse('wrong receiver secret');
      res.status(404).end();
      return;
    }
    res.status(mirror.receive(req.body) ? 200 : 400).end();
  });
  return router;
}

function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
