/** The platform's subscription endpoints (both APIs: management v1.1.0 and service-data v1.2.0). */
import { errors } from './errors.js';
import { isObject } from './json.js';
import type { Platform } from './platform.js';
import { integer, ok, oneOf, page, targetApp, text, type Route } from './route-kit.js';
import { ALL_TYPES, CHANNELS, MANAGEMENT_TYPES, SERVICE_TYPES, type Subscription } from './subscriptions.js';

export const SUBSCRIPTION_ROUTES: readonly Route[] = [
  {
    method: 'POST',
    template: '/iodm/app/sub/v1.1.0/subscribe',
    authenticated: true,
    handle({ query, body, appId }, { platform }) {
      const owner = targetApp(platform, appId, query.get('appId'), 403);
      if (!isObject(body)) throw errors.appInputInvalid();
      const notifyType = MANAGEMENT_TYPES.find((t) => t === body.notifyType);
      if (!notifyType) throw errors.appInputInvalid('(notifyType)');
      const url = body.callbackUrl ?? body.callbackurl;
      if (typeof url !== 'string' || !isHttpUrl(url, /^[a-z]+:\/\/[^/]*:\d+/i)) throw errors.callbackIllegal();
      // A repeat replaces the URL: this API has no conflict error and no delete of its own.
      platform.subscribe(owner, notifyType, url);
      return ok();
    },
  },
  {
    method: 'POST',
    template: '/iocm/app/sub/v1.2.0/subscriptions',
    authenticated: true,
    handle({ query, body, appId }, { platform }) {
      oneOf(query, 'ownerFlag', ['true', 'false'] as const, () => errors.appInputInvalid('(ownerFlag)'));
      if (!isObject(body)) throw errors.appInputInvalid();
      const requested = body.appId;
      if (requested !== undefined && requested !== null && typeof requested !== 'string') throw errors.appInputInvalid('(appId)');
      const owner = targetApp(platform, appId, requested ?? null, 403);
      const notifyType = SERVICE_TYPES.find((t) => t === body.notifyType);
      if (!notifyType) throw errors.appInputInvalid('(notifyType)');
      const channel = body.channel === undefined || body.channel === null ? 'HTTP' : CHANNELS.find((c) => c === body.channel);
      if (!channel) throw errors.appInputInvalid('(channel)');
      const url = body.callbackUrl ?? body.callbackurl;
      if (typeof url !== 'string' || url.length > 1024 || !isHttpUrl(url, SERVICE_CALLBACK)) throw errors.callbackIllegal();
      if (platform.subscriptions.find(owner, notifyType)) throw errors.alreadySubscribed(`(${notifyType})`);
      return { status: 201, body: subscriptionBody(platform.subscribe(owner, notifyType, url, channel)) };
    },
  },
  {
    method: 'GET',
    template: '/iocm/app/sub/v1.2.0/subscriptions',
    authenticated: true,
    handle({ query, appId }, { platform }) {
      const { owner, notifyType, invalid } = subscriptionsQuery(platform, appId, query);
      const pageNo = integer(query, 'pageNo', invalid) ?? 0;
      const pageSize = integer(query, 'pageSize', invalid) ?? 10;
      if (pageNo < 0 || pageSize < 1) throw invalid();
      // No maximum pageSize is documented; a page that could hold more than 1000 records is refused.
      if (pageSize > MAX_SUBSCRIPTION_RESULTS) throw errors.tooManyResults();
      const matches = platform.subscriptions.matching(owner, { notifyType });
      return ok({ totalCount: matches.length, pageNo, pageSize, subscriptions: page(matches, { pageNo, pageSize }).map(subscriptionItem) });
    },
  },
  {
    method: 'DELETE',
    template: '/iocm/app/sub/v1.2.0/subscriptions',
    authenticated: true,
    handle({ query, appId }, { platform }) {
      const { owner, notifyType, invalid } = subscriptionsQuery(platform, appId, query);
      const callbackUrl = text(query, 'callbackUrl', 1024, invalid);
      const channel = oneOf(query, 'channel', CHANNELS, invalid);
      const doomed = platform.subscriptions.matching(owner, { notifyType, callbackUrl, channel });
      if (doomed.length === 0) throw errors.subscriptionNotFound('Check the subscription type.');
      platform.unsubscribe(doomed);
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    template: '/iocm/app/sub/v1.2.0/subscriptions/{subscriptionId}',
    authenticated: true,
    handle({ params, query, appId }, { platform }) {
      return ok(subscriptionItem(findSubscription(platform, appId, query, params.subscriptionId as string)));
    },
  },
  {
    method: 'DELETE',
    template: '/iocm/app/sub/v1.2.0/subscriptions/{subscriptionId}',
    authenticated: true,
    handle({ params, query, appId }, { platform }) {
      platform.unsubscribe([findSubscription(platform, appId, query, params.subscriptionId as string)]);
      return { status: 204 };
    },
  },
];

const MAX_SUBSCRIPTION_RESULTS = 1000;
/** Service-data callbacks need an explicit port and a path: https://h:443/ and https://h:443/cb, not https://h:443. */
const SERVICE_CALLBACK = /^[a-z]+:\/\/[^/?#]*:\d+\//i;

function isHttpUrl(url: string, form: RegExp): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && form.test(url);
  } catch {
    return false;
  }
}

function findSubscription(platform: Platform, callerId: string, query: URLSearchParams, subscriptionId: string): Subscription {
  const owner = targetApp(platform, callerId, query.get('appId'), 403);
  const subscription = platform.subscriptions.byId(subscriptionId);
  if (!subscription || subscription.appId !== owner) throw errors.subscriptionNotFound('Check the subscriptionId.');
  return subscription;
}

/** Query answers carry the three documented fields. */
const subscriptionItem = (s: Subscription) => ({ subscriptionId: s.subscriptionId, notifyType: s.notifyType, callbackUrl: s.callbackUrl });

/** The subscribe answer adds clientIds for MQTT subscriptions (the emulator has no MQTT clients: an empty list). */
const subscriptionBody = (s: Subscription) => ({ ...subscriptionItem(s), ...(s.channel === 'MQTT' ? { clientIds: [] } : {}) });

/** What listing and deleting subscriptions both read first: whose, of which type, and their one refusal. */
function subscriptionsQuery(platform: Platform, appId: string, query: URLSearchParams) {
  const owner = targetApp(platform, appId, query.get('appId'), 403);
  const invalid = () => errors.appInputInvalid();
  return { owner, invalid, notifyType: oneOf(query, 'notifyType', ALL_TYPES, invalid) };
}
