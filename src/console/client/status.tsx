import { useEffect } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { BudgetDocument, StatusDocument, type BudgetQuery } from './generated/graphql';
import { Badge, ErrorNote, Loading, PageTitle, time } from './ui';

/** `health`'s check costs one platform call: asked on opening, on demand, and this often while the page is open. */
const REFRESH_MS = 30_000;
/** The budget is read from the gateway's own ledger, no platform call: it may follow the window closely. */
const BUDGET_REFRESH_MS = 5_000;

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
        <BudgetCard exhausted={health?.budgetExhausted ? (health.budgetRetryAfterSeconds ?? null) : undefined} mirrorShare={mirror?.budgetShare} />
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

/**
 * The calls of the budget's window: how many of how many, when a slot frees, and whose they are (a read key is told
 * its own line only). `exhausted`: the health check found no slot (with the seconds it said, when it said).
 */
function BudgetCard({ exhausted, mirrorShare }: { exhausted?: number | null; mirrorShare?: number }) {
  const [{ data, error }, refetch] = useQuery({ query: BudgetDocument, variables: {}, requestPolicy: 'network-only' });
  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), BUDGET_REFRESH_MS);
    return () => clearInterval(timer);
  }, [refetch]);
  const budget = data?.health?.budget;
  return (
    <section class="card" aria-labelledby="budget">
      <h2 id="budget">Call budget</h2>
      <ErrorNote error={error} />
      {exhausted !== undefined ? (
        <p>
          <Badge value="EXHAUSTED" /> every slot is in use; the next frees in {exhausted ?? '?'} s
        </p>
      ) : null}
      {budget && data ? <BudgetFigures budget={budget} you={data.viewer.client} /> : null}
      {mirrorShare !== undefined ? <p class="muted">The mirror's background sync may hold up to {Math.round(mirrorShare * 100)}% of it.</p> : null}
    </section>
  );
}

type Budget = NonNullable<NonNullable<BudgetQuery['health']>['budget']>;

function BudgetFigures({ budget, you }: { budget: Budget; you: string }) {
  const percent = budget.limit === 0 ? 0 : Math.round((100 * budget.used) / budget.limit);
  const others = budget.byClient.some((line) => line.client !== you);
  return (
    <>
      <p data-testid="budget-used">
        {budget.used} of {budget.limit} calls used in the last {budget.windowSeconds} s
      </p>
      <div class="bar" role="meter" aria-label="Call budget used" aria-valuemin={0} aria-valuemax={budget.limit} aria-valuenow={budget.used} aria-valuetext={`${percent}% used`}>
        <span class={percent >= 90 ? 'bad' : 'running'} style={{ width: `${percent}%` }} />
      </div>
      <p data-testid="budget-reset">{budget.used === 0 ? 'The window holds no call.' : `The oldest call leaves the window in ${budget.resetsInSeconds} s, freeing a slot.`}</p>
      <table class="compact">
        <caption>{others ? 'Calls in the window, by client' : 'Your calls in the window (a read key sees its own line only)'}</caption>
        <thead>
          <tr>
            <th scope="col">Client</th>
            <th scope="col">Calls</th>
          </tr>
        </thead>
        <tbody>
          {budget.byClient.map((line) => (
            <tr key={line.client} data-testid="budget-line">
              <td>
                {line.client}
                {line.client === you ? <strong> (you)</strong> : null}
              </td>
              <td>{line.used}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
