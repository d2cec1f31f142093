import { useEffect } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { StatusDocument } from './generated/graphql';
import { Badge, ErrorNote, Loading, PageTitle, time } from './ui';

/** `health` costs one platform call: asked on opening, on demand, and this often while the page is open. */
const REFRESH_MS = 30_000;

export function StatusPage() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: StatusDocument, variables: {}, requestPolicy: 'network-only' });
  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refetch]);
  const mirror = data?.mirror;
  const health = data?.health;
  return (
    <>
      <PageTitle>Status</PageTitle>
      <p class="actions">
        <button type="button" disabled={fetching} onClick={() => refetch({ requestPolicy: 'network-only' })}>
          Check again
        </button>
      </p>
      <ErrorNote error={error} />
      {!data && fetching ? <Loading /> : null}
      <div class="cards">
        {health ? (
          <section class="card" aria-labelledby="platform">
            <h2 id="platform">Platform connection</h2>
            <p>
              <Badge value={health.loginOk ? 'CONNECTED' : 'DISCONNECTED'} /> {health.emulator ? '(the embedded emulator)' : ''}
            </p>
            <dl class="facts">
              <dt>Platform</dt>
              <dd>{health.platformUrl}</dd>
              <dt>Checked</dt>
              <dd>{time(health.checkedAt)}</dd>
              {health.error ? (
                <>
                  <dt>Error</dt>
                  <dd class="bad-text">
                    {health.error} {health.upstreamCode ? `(${health.upstreamCode})` : ''}
                  </dd>
                </>
              ) : null}
            </dl>
          </section>
        ) : null}
        {health ? (
          <section class="card" aria-labelledby="budget">
            <h2 id="budget">Call budget</h2>
            <p>
              {health.budgetExhausted ? (
                <>
                  <Badge value="EXHAUSTED" /> every slot is in use; the next frees in {health.budgetRetryAfterSeconds ?? '?'} s
                </>
              ) : (
                <>
                  <Badge value="AVAILABLE" /> calls to the platform are being granted
                </>
              )}
            </p>
            {mirror ? <p class="muted">The mirror's background sync may hold up to {Math.round(mirror.budgetShare * 100)}% of it while clients wait.</p> : null}
          </section>
        ) : null}
        {mirror ? (
          <section class="card" aria-labelledby="mirror">
            <h2 id="mirror">Fleet mirror</h2>
            <p>
              <Badge value={mirror.state} />
            </p>
            <dl class="facts">
              <dt>Holds</dt>
              <dd>
                {mirror.devices} devices, {mirror.operations} tasks, {mirror.subtasks} subtasks
              </dd>
              <dt>Last full sync</dt>
              <dd>{time(mirror.lastFullSyncAt)}</dd>
              <dt>Next full sync</dt>
              <dd>{time(mirror.nextFullSyncAt)}</dd>
              <dt>Notifications</dt>
              <dd>
                {mirror.notifications.subscribed.length > 0 ? `${mirror.notifications.subscribed.length} types subscribed` : 'none subscribed (polling)'}; {mirror.notifications.received} received,{' '}
                {mirror.notifications.rejected} rejected; last {time(mirror.notifications.lastReceivedAt)}
                {mirror.notifications.pending > 0 ? `; ${mirror.notifications.pending} not applied yet (the oldest received ${time(mirror.notifications.oldestPendingAt)})` : ''}
              </dd>
            </dl>
          </section>
        ) : null}
      </div>
    </>
  );
}
