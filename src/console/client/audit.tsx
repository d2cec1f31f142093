import { useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { AuditLogDocument, RolloutHistoryDocument, type AuditLogFilter, type AuditOutcome, type AuditRowFragment } from './generated/graphql';
import { AnyOf, Badge, ErrorNote, Loading, PageTitle, Pager, time, useCanOperate, useDebounced } from './ui';

const PAGE = 25;
/** The mutations an operator sends, and the rollout orchestrator's own changes (the log takes any name). */
const OPERATIONS = ['createFirmwareUpgradeTask', 'createSoftwareUpgradeTask', 'createBatchTask', 'createRollout', 'pauseRollout', 'resumeRollout', 'cancelRollout', 'retryFailedDevices', 'rolloutHalted', 'rolloutCompleted'];

/** Every mutation call, newest first: who (the key's name), what, on which ids, and how it ended. */
export function AuditPage() {
  const canOperate = useCanOperate();
  const [operation, setOperation] = useState('');
  const [outcome, setOutcome] = useState('');
  const [client, setClient] = useState('');
  const [targetId, setTargetId] = useState('');
  const [offset, setOffset] = useState(0);
  const typed = useDebounced({ client: client.trim(), targetId: targetId.trim() }, 300);
  const filter: AuditLogFilter = {
    ...(operation ? { operation } : {}),
    ...(outcome ? { outcome: outcome as AuditOutcome } : {}),
    ...(typed.client ? { client: typed.client } : {}),
    ...(typed.targetId ? { targetId: typed.targetId } : {}),
  };
  const [log] = useQuery({ query: AuditLogDocument, variables: { filter, first: PAGE, offset }, pause: !canOperate, requestPolicy: 'cache-and-network' });
  const select = (set: (v: string) => void) => (value: string) => {
    set(value);
    setOffset(0);
  };
  return (
    <>
      <PageTitle>Audit log</PageTitle>
      {!canOperate ? (
        <p>The audit log is shown to operate keys only: this key reads.</p>
      ) : (
        <>
          <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter the audit log">
            <AnyOf label="Command" value={operation} choices={OPERATIONS} onChange={select(setOperation)} />
            <AnyOf label="Outcome" value={outcome} choices={[['OK', 'ok'], ['ERROR', 'error']]} onChange={select(setOutcome)} />
            <label>
              Key name
              <input value={client} placeholder="key-1a2b3c4d" onInput={(e) => select(setClient)(e.currentTarget.value)} />
            </label>
            <label>
              Touching id
              <input value={targetId} placeholder="a rollout, task or batch task id" onInput={(e) => select(setTargetId)(e.currentTarget.value)} />
            </label>
          </form>
          <ErrorNote error={log.error} />
          {log.data?.auditLog ? (
            <>
              <p>{log.data.auditLog.totalCount} calls, newest first; kept GATEWAY_AUDIT_DAYS days.</p>
              <AuditTable records={log.data.auditLog.nodes} />
              <Pager offset={offset} size={PAGE} total={log.data.auditLog.totalCount} onChange={setOffset} />
            </>
          ) : log.fetching ? (
            <Loading />
          ) : null}
        </>
      )}
    </>
  );
}

function AuditTable({ records }: { records: readonly AuditRowFragment[] }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Key</th>
            <th scope="col">Command</th>
            <th scope="col">Ids</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr key={r.id}>
              <td>{time(r.at)}</td>
              <td>
                {r.client} <small>({r.role.toLowerCase()})</small>
              </td>
              <td>{r.operation}</td>
              <td>{r.targetIds.join(', ') || '—'}</td>
              <td>
                <Badge value={r.outcome} /> {r.errorCode ?? ''} {r.replayed ? <small>replay</small> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A rollout's commands and its waves' starts and ends, oldest first (operate keys only, as the log). */
export function RolloutHistory({ id }: { id: string }) {
  const canOperate = useCanOperate();
  const [history] = useQuery({ query: RolloutHistoryDocument, variables: { id }, pause: !canOperate, requestPolicy: 'cache-and-network' });
  if (!canOperate) return null;
  const entries = history.data?.rollout?.history ?? [];
  return (
    <section aria-label="History">
      <h2>History</h2>
      <ErrorNote error={history.error} />
      <ol class="history">
        {entries.map((entry, i) => (
          <li key={i}>
            {time(entry.at)}:{' '}
            {entry.event === 'HALTED' || entry.event === 'COMPLETED'
              ? `${entry.event.toLowerCase()} by the orchestrator`
              : entry.record
                ? `${entry.record.operation} by ${entry.record.client}: ${entry.record.outcome === 'OK' ? 'ok' : `error ${entry.record.errorCode ?? ''}`}`
                : `wave ${(entry.waveIndex ?? 0) + 1} ${entry.event === 'WAVE_STARTED' ? 'started' : 'finished'}`}
          </li>
        ))}
      </ol>
    </section>
  );
}
