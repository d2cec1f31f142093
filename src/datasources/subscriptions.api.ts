/** The platform's notification subscriptions (both APIs), for the sync's receiver. */
import { Api } from './api.js';
import { record } from './normalize.js';
import { ENDPOINTS } from './platform/endpoints.js';
import { PlatformError } from './platform/errors.js';

/** The platform's answer to a second subscription of one type. */
const ALREADY_SUBSCRIBED = '100227';

export class SubscriptionsApi extends Api {
  /** Management notifications (upgrade progress): a repeat replaces the URL. */
  async subscribeManagement(notifyType: string, callbackUrl: string): Promise<void> {
    await this.call(ENDPOINTS.subscribeManagement, { json: { notifyType, callbackurl: callbackUrl } });
  }

  /** Service-data notifications: one subscription per type, so one to another URL is replaced. */
  async subscribe(notifyType: string, callbackUrl: string): Promise<void> {
    try {
      await this.call(ENDPOINTS.subscribe, { json: { notifyType, callbackUrl } });
    } catch (error) {
      if (!(error instanceof PlatformError && error.code === ALREADY_SUBSCRIBED)) throw error;
      const listed = record(await this.call(ENDPOINTS.subscriptions, { searchParams: { notifyType, pageNo: 0, pageSize: 10 } }));
      const existing = (Array.isArray(listed.subscriptions) ? listed.subscriptions : []).map((item) => record(item));
      if (existing.some((item) => item.callbackUrl === callbackUrl)) return;
      for (const item of existing) await this.call(ENDPOINTS.unsubscribe, { path: { subscriptionId: String(item.subscriptionId) } });
      await this.call(ENDPOINTS.subscribe, { json: { notifyType, callbackUrl } });
    }
  }
}
