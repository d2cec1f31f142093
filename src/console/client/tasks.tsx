import { useEffect, useState } from 'preact/hooks';
import { useMutation, useQuery, useSubscription } from '@urql/preact';
import {
  OperationDocument,
  OperationsChangedDocument,
  OperationsDocument,
  OperationUpdatedDocument,
  RetryFailedDevicesDocument,
  SubtaskUpdatedDocument,
  type OperationFilter,
  type OperationRowFragment,
  type OperationStatus,
  type OperationType,
  type SubtaskRowFragment,
} from './generated/graphql';
import { AnyOf, Badge, ErrorNote, href, Loading, PageTitle, Pager, Progress, time, useCanOperate } from './ui';

const STATUSES: OperationStatus[] = ['WAIT', 'PROCESSING', 'SUCCESS', 'FAILED', 'STOPPED'];
const PAGE = 20;

/** Later news of the same object replaces earlier (subscriptions deliver whole objects). */
function mergeById<T extends { id: string }>(list: readonly T[], updates: ReadonlyMap<string, T>): T[] {
  return list.map((item) => updates.get(item.id) ?? item);
}

export function TasksPage() {
  const [status, setStatus] = useState('');
  const [type, setType] = useState('');
  const [offset, setOffset] = useState(0);
  const filter: OperationFilter = { ...(status ? { status: status as OperationStatus } : {}), ...(type ? { type: type as OperationType } : {}) };
  const [list, refetch] = useQuery({ query: OperationsDocument, variables: { filter, first: PAGE, offset } });
  const [updates, setUpdates] = useState(new Map<string, OperationRowFragment>());
  useEffect(() => setUpdates(new Map()), [list.data]);
  // Any task's change, the filter applied by the gateway; a task not on the page is a new one: read the page again.
  useSubscription({ query: OperationsChangedDocument, variables: { filter } }, (_previous, event) => {
    const op = event.operationsChanged;
    if (list.data?.operations?.nodes.some((n) => n.id === op.id)) setUpdates((m) => new Map(m).set(op.id, op));
    else if (offset === 0) refetch({ requestPolicy: 'network-only' });
    return event;
  });
  const nodes = mergeById(list.data?.operations?.nodes ?? [], updates);
  const select = (set: (v: string) => void) => (value: string) => {
    set(value);
    setOffset(0);
  };

  return (
    <>
      <PageTitle>Upgrade tasks</PageTitle>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter tasks">
        <AnyOf label="Status" value={status} choices={STATUSES} onChange={select(setStatus)} />
        <AnyOf
          label="Type"
          value={type}
          choices={[
            ['FIRMWARE_UPGRADE', 'firmware'],
            ['SOFTWARE_UPGRADE', 'software'],
          ]}
          onChange={select(setType)}
        />
      </form>
      <ErrorNote error={list.error} />
      {list.data?.operations ? (
        <>
          <p>{list.data.operations.totalCount} tasks, newest first; progress updates live.</p>
          <OperationsTable operations={nodes} />
          <Pager offset={offset} size={PAGE} total={list.data.operations.totalCount} onChange={setOffset} />
        </>
      ) : list.fetching ? (
        <Loading />
      ) : null}
    </>
  );
}

/** Tasks with their live progress; a device's history says the figures are the whole task's. */
export function OperationsTable({ operations, progressHeading = 'Progress' }: { operations: readonly OperationRowFragment[]; progressHeading?: string }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Type</th>
            <th scope="col">Target version</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">{progressHeading}</th>
          </tr>
        </thead>
        <tbody>
          {operations.map((op) => (
            <tr key={op.id}>
              <td>
                <a href={href('tasks', op.id)}>{op.id}</a>
              </td>
              <td>{op.type === 'FIRMWARE_UPGRADE' ? 'firmware' : 'software'}</td>
              <td>{op.targetVersion ?? '—'}</td>
              <td>
                <Badge value={op.status} />
              </td>
              <td>{time(op.createdAt)}</td>
              <td>
                <Progress stats={op.stats} label={`Task ${op.id} progress`} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const FAILED = new Set(['FAILED', 'TIMEOUT']);
const ENDED = new Set(['SUCCESS', 'FAILED', 'STOPPED']);

/**
 * One idempotency key per intended retry (a task and its failed devices) for the page's life: a double click, or
 * coming back to the task, asks for the same retry. A reload starts afresh, so a retry after that one has ended can
 * make a new one; two tabs or two operators meet the same rollout on the gateway.
 */
const retryKeys = new Map<string, string>();
function retryKeyFor(operationId: string, deviceIds: readonly string[]): string {
  const action = `${operationId}|${[...deviceIds].sort().join(',')}`;
  let key = retryKeys.get(action);
  if (key === undefined) retryKeys.set(action, (key = crypto.randomUUID()));
  return key;
}

export function TaskPage({ id }: { id: string }) {
  const canOperate = useCanOperate();
  const [{ data, error, fetching }] = useQuery({ query: OperationDocument, variables: { id } });
  const [live] = useSubscription({ query: OperationUpdatedDocument, variables: { id } });
  const [subtaskUpdates, setSubtaskUpdates] = useState(new Map<string, SubtaskRowFragment>());
  useEffect(() => setSubtaskUpdates(new Map()), [data]);
  useSubscription({ query: SubtaskUpdatedDocument, variables: { operationId: id } }, (_previous, event) => {
    setSubtaskUpdates((m) => new Map(m).set(event.subtaskUpdated.id, event.subtaskUpdated));
    return event;
  });
  const [retry, runRetry] = useMutation(RetryFailedDevicesDocument);

  const operation = data?.operation;
  if (!operation) {
    return (
      <>
        <PageTitle>Task {id}</PageTitle>
        <ErrorNote error={error} />
        {fetching ? <Loading /> : data ? <p>No task {id}.</p> : null}
      </>
    );
  }
  const current = live.data?.operationUpdated ?? operation;
  // The failed ones first (with their cause), then the rest of the first page, each device once.
  const seen = new Set<string>();
  const subtasks = [...(operation.failed?.nodes ?? []), ...(operation.timedOut?.nodes ?? []), ...(operation.subtasks?.nodes ?? [])]
    .filter((s) => !seen.has(s.id) && seen.add(s.id))
    .map((s) => subtaskUpdates.get(s.id) ?? s)
    .sort((a, b) => Number(FAILED.has(b.status)) - Number(FAILED.has(a.status)));
  const failed = subtasks.filter((s) => FAILED.has(s.status));
  const failedCount = failed.length;
  const shown = subtasks.length;
  const total = operation.subtasks?.totalCount ?? shown;

  return (
    <>
      <p>
        <a href={href('tasks')}>← Tasks</a>
      </p>
      <PageTitle>Task {id}</PageTitle>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <Badge value={current.status} />
        </dd>
        <dt>Type</dt>
        <dd>{current.type === 'FIRMWARE_UPGRADE' ? 'firmware' : 'software'} upgrade to {current.targetVersion ?? '—'}</dd>
        <dt>Created / started / stopped</dt>
        <dd>
          {time(current.createdAt)} / {time(current.startedAt)} / {time(current.stoppedAt)}
        </dd>
      </dl>
      <Progress stats={current.stats} label={`Task ${id} progress`} />
      {canOperate && failedCount > 0 && ENDED.has(current.status) ? (
        <p class="actions">
          <button type="button" disabled={retry.fetching} onClick={() => void runRetry({ operationId: id, idempotencyKey: retryKeyFor(id, failed.map((s) => s.deviceId)) }).then((r) => r.data && (location.hash = href('rollouts', r.data.retryFailedDevices.rolloutId)))}>
            Retry failed devices
          </button>
          <span class="muted"> a new one-wave rollout over the {failedCount} failed or timed-out devices</span>
        </p>
      ) : null}
      <ErrorNote error={retry.error} />
      <h2>Devices {failedCount > 0 ? <span class="bad-text">({failedCount} failed)</span> : null}</h2>
      <p class="muted">
        {shown < total ? `The failed ones and the first ${shown} of ${total}.` : `${total} devices.`} Updates live.
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Status</th>
              <th scope="col">Step</th>
              <th scope="col">Cause</th>
            </tr>
          </thead>
          <tbody>
            {subtasks.map((s) => (
              <tr key={s.id} class={FAILED.has(s.status) ? 'failed-row' : undefined}>
                <td>
                  <a href={href('devices', s.deviceId)}>{s.device?.name ?? s.deviceId}</a>
                </td>
                <td>
                  <Badge value={s.status} />
                </td>
                <td>{s.step?.toLowerCase() ?? '—'}</td>
                <td>{s.detail ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
