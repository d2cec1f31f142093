import { useEffect, useState } from 'preact/hooks';
import { useMutation, useQuery, useSubscription } from '@urql/preact';
import type { CombinedError } from '@urql/core';
import {
  CancelRolloutDocument,
  PauseRolloutDocument,
  ResumeRolloutDocument,
  RolloutDocument,
  RolloutsDocument,
  RolloutUpdatedDocument,
  type RolloutFullFragment,
  type RolloutRowFragment,
  type RolloutState,
} from './generated/graphql';
import { AnyOf, Badge, ErrorNote, href, Loading, PageTitle, Pager, Progress, time, useCanOperate } from './ui';
import { ScheduleFacts, WaitLine } from './rollout-schedule';
import { RolloutHistory } from './audit';

const STATES: RolloutState[] = ['RUNNING', 'PAUSED', 'HALTED', 'COMPLETED', 'CANCELLED'];
const FINAL = new Set<RolloutState>(['COMPLETED', 'CANCELLED']);
/** At most this many rows, so their subscriptions stay well under the gateway's 20 per connection. */
const PAGE = 10;
/** The API has no "rollout created" event: the list is read again this often, to show others' new rollouts. */
const LIST_REFRESH_MS = 10_000;

export function RolloutsPage() {
  const canOperate = useCanOperate();
  const [state, setState] = useState('');
  const [offset, setOffset] = useState(0);
  const [list, refetch] = useQuery({ query: RolloutsDocument, variables: { state: (state || null) as RolloutState | null, first: PAGE, offset } });
  useEffect(() => {
    const timer = setInterval(() => refetch({ requestPolicy: 'network-only' }), LIST_REFRESH_MS);
    return () => clearInterval(timer);
  }, [refetch]);

  return (
    <>
      <PageTitle>Rollouts</PageTitle>
      {canOperate ? (
        <p class="actions">
          <a class="button" href={href('rollouts', 'new')}>
            New rollout
          </a>
        </p>
      ) : null}
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter rollouts">
        <AnyOf
          label="State"
          value={state}
          choices={STATES}
          onChange={(value) => {
            setState(value);
            setOffset(0);
          }}
        />
      </form>
      <ErrorNote error={list.error} />
      {list.data?.rollouts ? (
        list.data.rollouts.nodes.length === 0 ? (
          <p>No rollout yet.</p>
        ) : (
          <>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Rollout</th>
                    <th scope="col">Target version</th>
                    <th scope="col">State</th>
                    <th scope="col">Created</th>
                    <th scope="col">Progress</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.rollouts.nodes.map((r) => (
                    <RolloutListRow key={r.id} rollout={r} />
                  ))}
                </tbody>
              </table>
            </div>
            <Pager offset={offset} size={PAGE} total={list.data.rollouts.totalCount} onChange={setOffset} />
          </>
        )
      ) : list.fetching ? (
        <Loading />
      ) : null}
    </>
  );
}

function RolloutListRow({ rollout }: { rollout: RolloutRowFragment }) {
  const [live] = useSubscription({ query: RolloutUpdatedDocument, variables: { id: rollout.id }, pause: FINAL.has(rollout.state) });
  const r = live.data?.rolloutUpdated ?? rollout;
  return (
    <tr>
      <td>
        <a href={href('rollouts', r.id)}>{r.name ?? r.id}</a>
      </td>
      <td>{r.targetVersion ?? '—'}</td>
      <td>
        <Badge value={r.state} />
      </td>
      <td>{time(r.createdAt)}</td>
      <td>
        <Progress stats={r.stats} of={r.total} label={`Rollout ${r.name ?? r.id} progress`} />
      </td>
    </tr>
  );
}

export function RolloutPage({ id }: { id: string }) {
  const canOperate = useCanOperate();
  const [query] = useQuery({ query: RolloutDocument, variables: { id } });
  // Whatever came last (the query, a live update, a mutation's answer) is the rollout as it now stands.
  const [current, setCurrent] = useState<RolloutFullFragment | null>(null);
  useEffect(() => setCurrent(query.data?.rollout ?? null), [query.data]);
  useSubscription({ query: RolloutUpdatedDocument, variables: { id } }, (_previous, event) => {
    setCurrent(event.rolloutUpdated);
    return event;
  });
  const [pause, runPause] = useMutation(PauseRolloutDocument);
  const [resume, runResume] = useMutation(ResumeRolloutDocument);
  const [cancel, runCancel] = useMutation(CancelRolloutDocument);
  const [confirming, setConfirming] = useState(false);
  const busy = pause.fetching || resume.fetching || cancel.fetching;
  const act = async (run: () => Promise<{ data?: Record<string, RolloutFullFragment | undefined> }>) => {
    const result = await run();
    const rollout = result.data && Object.values(result.data)[0];
    if (rollout) setCurrent(rollout);
  };

  if (!current) {
    return (
      <>
        <PageTitle>Rollout {id}</PageTitle>
        <ErrorNote error={query.error} />
        {query.fetching ? <Loading /> : query.data ? <p>No rollout {id}.</p> : null}
      </>
    );
  }
  const r = current;
  const error: CombinedError | undefined = pause.error ?? resume.error ?? cancel.error;
  return (
    <>
      <p>
        <a href={href('rollouts')}>← Rollouts</a>
      </p>
      <PageTitle>Rollout {r.name ?? r.id}</PageTitle>
      <p class="state-line" aria-live="polite">
        State: <Badge value={r.state} /> {r.haltReason ? <span class="bad-text">{r.haltReason}</span> : null}
      </p>
      <WaitLine rollout={r} />
      {canOperate && !FINAL.has(r.state) ? (
        <div class="actions" role="group" aria-label="Rollout actions">
          {r.state === 'RUNNING' ? (
            <button type="button" disabled={busy} onClick={() => void act(() => runPause({ id }))}>
              Pause
            </button>
          ) : (
            <button type="button" disabled={busy} onClick={() => void act(() => runResume({ id }))}>
              Resume
            </button>
          )}
          {confirming ? (
            <>
              <button type="button" class="danger" disabled={busy} onClick={() => void act(() => runCancel({ id })).then(() => setConfirming(false))}>
                Yes, cancel the rollout
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </>
          ) : (
            <button type="button" class="danger" disabled={busy} onClick={() => setConfirming(true)}>
              Cancel…
            </button>
          )}
        </div>
      ) : null}
      <ErrorNote error={error} />
      <dl class="facts">
        <dt>Package</dt>
        <dd>{r.package ? `${r.package.name ?? r.package.id} (${r.package.deviceType} / ${r.package.model}) → ${r.package.version}` : '—'}</dd>
        <dt>Type</dt>
        <dd>{r.type === 'FIRMWARE_UPGRADE' ? 'firmware' : 'software'}</dd>
        <dt>Devices</dt>
        <dd>{r.total}</dd>
        <dt>Soak between waves</dt>
        <dd>{r.soakMinutes} min</dd>
        <dt>Failure threshold</dt>
        <dd>{r.failureThreshold ? `halt at ${r.failureThreshold.percent}% failed, once ${r.failureThreshold.minFinished} finished` : 'none'}</dd>
        <ScheduleFacts rollout={r} />
        <dt>Created / updated</dt>
        <dd>
          {time(r.createdAt)} / {time(r.updatedAt)}
        </dd>
        {r.sourceOperation ? (
          <>
            <dt>Retries the failed devices of</dt>
            <dd>
              <a href={href('tasks', r.sourceOperation.id)}>task {r.sourceOperation.id}</a>
            </dd>
          </>
        ) : null}
      </dl>
      <h2>Overall</h2>
      <Progress stats={r.stats} of={r.total} label="Rollout progress" />
      {r.failureThreshold && r.thresholdStanding ? <ThresholdLine percent={r.failureThreshold.percent} standing={r.thresholdStanding} /> : null}
      <h2>Waves</h2>
      <ol class="waves">
        {r.waves.map((w) => (
          <li key={w.index} class="card">
            <h3>
              Wave {w.index + 1} <Badge value={w.state} /> <span class="muted">{w.size} devices</span>
            </h3>
            <Progress stats={w.stats} of={w.size} label={`Wave ${w.index + 1} progress`} />
            <p class="muted">
              Started {time(w.startedAt)} · finished {time(w.finishedAt)}
              {w.soakUntil ? ` · soaking until ${time(w.soakUntil)}` : ''}
              {w.windowCuts > 0 ? ` · ${w.windowCuts} devices cut by a window's end, taken again in the next` : ''}
            </p>
            {w.operations.length > 0 ? (
              <p>
                Tasks:{' '}
                {w.operations.map((op, i) => (
                  <span key={op.id}>
                    {i > 0 ? ', ' : ''}
                    <a href={href('tasks', op.id)}>{op.id}</a> <Badge value={op.status} />
                  </span>
                ))}
              </p>
            ) : null}
          </li>
        ))}
      </ol>
      {/* Read again whenever the rollout moves: a command or a wave adds to it. */}
      <RolloutHistory key={r.updatedAt} id={r.id} />
    </>
  );
}

type Standing = NonNullable<RolloutFullFragment['thresholdStanding']>;

/**
 * Where the rollout stands against its failure threshold, over all its waves, as the gateway judges it: the share
 * failed so far, and, until enough devices have finished, that the threshold does not apply yet.
 */
function ThresholdLine({ percent, standing }: { percent: number; standing: Standing }) {
  const { failed, finished, appliesAt, applies, sinceResume } = standing;
  const share = finished === 0 ? 'No device has finished yet.' : `Failed so far: ${Math.round((100 * failed) / finished)}% of ${finished} finished.`;
  const rule = applies
    ? `The rollout halts when ${percent}% have failed.`
    : `The ${percent}% threshold applies once ${appliesAt} ${appliesAt === 1 ? 'device has' : 'devices have'} finished: ${finished} so far.`;
  return (
    <p class="muted" data-testid="threshold">
      {share} {rule}
      {sinceResume ? ' Counted since the rollout was last resumed.' : ''}
    </p>
  );
}
