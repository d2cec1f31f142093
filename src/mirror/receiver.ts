/**
 * The notification receiver: the platform POSTs each notification here. The path holds a secret (the platform
 * cannot sign what it sends); a wrong secret, a malformed or a foreign payload is refused and counted, and changes
 * nothing. It answers at once: the platform re-sends what is not answered within 15 s.
 */
import { timingSafeEqual } from 'node:crypto';
import express, { type Router } from 'express';
import type { Logger } from '../logger.js';
import type { Mirror } from './mirror.js';

export const RECEIVER_PREFIX = '/mirror/notifications/';
const MAX_NOTIFICATION_BYTES = 64 * 1024;

export function notificationReceiver(mirror: Mirror, logger: Logger): Router {
  const router = express.Router();
  router.post(`${RECEIVER_PREFIX}:secret`, express.json({ limit: MAX_NOTIFICATION_BYTES, type: () => true }), async (req, res) => {
    if (!sameSecret(req.params.secret ?? '', mirror.receiverPath.slice(RECEIVER_PREFIX.length))) {
      await mirror.refuse('wrong receiver secret');
      res.status(404).end();
      return;
    }
    try {
      res.status((await mirror.receive(req.body)) ? 200 : 400).end();
    } catch (error) {
      // The store could not take it: a 503 makes the platform send it again.
      logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'notification not applied');
      res.status(503).end();
    }
  });
  return router;
}

function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
