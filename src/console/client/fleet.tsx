import { useState } from 'preact/hooks';
import { useQuery } from '@urql/preact';
import { DeviceDocument, FirmwareByModelDocument, FleetDocument, FleetSummaryDocument, VersionsDocument, type DeviceFilter, type DeviceStatus } from './generated/graphql';
import { OperationsTable } from './tasks';
import { AnyOf, BarChart, Badge, ErrorNote, href, Loading, PageTitle, Pager, time, useDebounced } from './ui';

const STATUSES: DeviceStatus[] = ['ONLINE', 'OFFLINE', 'ABNORMAL', 'INACTIVE'];
const PAGE = 25;

export function FleetPage() {
  const [summary] = useQuery({ query: FleetSummaryDocument, variables: {} });
  const [search, setSearch] = useState('');
  const [deviceType, setDeviceType] = useState('');
  const [status, setStatus] = useState('');
  const [fwVersion, setFwVersion] = useState('');
  const [offset, setOffset] = useState(0);
  const filter: DeviceFilter = {
    ...(search ? { nameContains: search } : {}),
    ...(deviceType ? { deviceType } : {}),
    ...(status ? { status: [status as DeviceStatus] } : {}),
    ...(fwVersion ? { fwVersion } : {}),
  };
  const settled = useDebounced(filter, 250);
  const [fleet] = useQuery({ query: FleetDocument, variables: { filter: settled, first: PAGE, offset } });
  const data = summary.data?.fleetSummary;
  const types = data?.byDeviceType.map((t) => t.key).filter((k): k is string => Boolean(k)) ?? [];
  // One scale for every version bar: no version of a type counts more devices than the largest type has.
  const scale = Math.max(1, ...(data?.byDeviceType.map((t) => t.count) ?? []));
  const pick = (set: (v: string) => void) => (value: string) => {
    set(value);
    setOffset(0);
  };
  const change = (set: (v: string) => void) => (event: Event) => pick(set)((event.currentTarget as HTMLInputElement).value);

  return (
    <>
      <PageTitle>Fleet</PageTitle>
      <ErrorNote error={summary.error} />
      {data ? (
        <section aria-labelledby="totals">
          <h2 id="totals">Devices by status</h2>
          <dl class="totals">
            <div>
              <dt>All devices</dt>
              <dd>{data.total}</dd>
            </div>
            {data.byStatus.map((s) => (
              <div key={s.status}>
                <dt>
                  <Badge value={s.status} />
                </dt>
                <dd>{s.count}</dd>
              </div>
            ))}
          </dl>
        </section>
      ) : summary.fetching ? (
        <Loading />
      ) : null}

      {types.length > 0 ? (
        <section aria-labelledby="versions">
          <h2 id="versions">Versions by device type</h2>
          <p class="muted chart-scale">Every bar on one scale: a full bar is {scale} devices, the most of any device type.</p>
          <div class="charts">
            {types.map((type) => (
              <Versions key={type} deviceType={type} scale={scale} />
            ))}
          </div>
        </section>
      ) : null}

      <FirmwareByModel />

      <section aria-labelledby="devices">
        <h2 id="devices">Devices</h2>
        <form class="filters" onSubmit={(e) => e.preventDefault()} role="search" aria-label="Filter devices">
          <label>
            Name contains
            <input type="search" value={search} onInput={change(setSearch)} />
          </label>
          <AnyOf label="Device type" value={deviceType} choices={types} onChange={pick(setDeviceType)} />
          <AnyOf label="Status" value={status} choices={STATUSES} onChange={pick(setStatus)} />
          <label>
            Firmware version
            <input value={fwVersion} onInput={change(setFwVersion)} placeholder="e.g. V1.2.0" />
          </label>
        </form>
        <ErrorNote error={fleet.error} />
        {fleet.data?.fleet ? (
          <>
            <p aria-live="polite">{fleet.data.fleet.totalCount} matching devices</p>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type / model</th>
                    <th scope="col">Firmware</th>
                    <th scope="col">Software</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {fleet.data.fleet.nodes.map((d) => (
                    <tr key={d.id}>
                      <td>
                        <a href={href('devices', d.id)}>{d.name ?? d.id}</a>
                      </td>
                      <td>
                        {d.deviceType} / {d.model}
                      </td>
                      <td>{d.fwVersion ?? '—'}</td>
                      <td>{d.swVersion ?? '—'}</td>
                      <td>
                        <Badge value={d.status} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager offset={offset} size={PAGE} total={fleet.data.fleet.totalCount} onChange={setOffset} />
          </>
        ) : fleet.fetching ? (
          <Loading />
        ) : null}
      </section>
    </>
  );
}

/** The largest buckets of model and firmware version (fleetAggregate): where most of the fleet stands. */
function FirmwareByModel() {
  const [{ data, error }] = useQuery({ query: FirmwareByModelDocument, variables: {} });
  const aggregate = data?.fleetAggregate;
  if (error) return <ErrorNote error={error} />;
  if (!aggregate || aggregate.buckets.length === 0) return null;
  return (
    <section aria-labelledby="firmware-by-model">
      <h2 id="firmware-by-model">Most common model and firmware</h2>
      <p class="muted">
        The {aggregate.buckets.length} largest of {aggregate.bucketCount} combinations over {aggregate.total} devices.
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Firmware</th>
              <th scope="col">Devices</th>
            </tr>
          </thead>
          <tbody>
            {aggregate.buckets.map((b) => (
              <tr key={b.values.join('/')}>
                <td>{b.values[0] ?? '—'}</td>
                <td>{b.values[1] ?? 'none reported'}</td>
                <td>{b.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Versions({ deviceType, scale }: { deviceType: string; scale: number }) {
  const [{ data, error }] = useQuery({ query: VersionsDocument, variables: { filter: { deviceType } } });
  const summary = data?.fleetSummary;
  if (error) return <ErrorNote error={error} />;
  if (!summary) return null;
  const rows = (list: typeof summary.byFwVersion) => list.map((v) => ({ label: v.version ?? 'none reported', value: v.count, note: `(${v.online} online)` }));
  return (
    <div class="card">
      <h3>
        {deviceType} <span class="muted">({summary.total})</span>
      </h3>
      <BarChart title="Firmware" rows={rows(summary.byFwVersion)} scale={scale} />
      <BarChart title="Software" rows={rows(summary.bySwVersion)} scale={scale} />
    </div>
  );
}

export function DevicePage({ id }: { id: string }) {
  const [{ data, error, fetching }] = useQuery({ query: DeviceDocument, variables: { id } });
  const device = data?.device;
  return (
    <>
      <p>
        <a href={href('fleet')}>← Fleet</a>
      </p>
      <PageTitle>Device {device?.name ?? id}</PageTitle>
      <ErrorNote error={error} />
      {fetching && !data ? <Loading /> : null}
      {data && !device ? <p>No device {id}.</p> : null}
      {device ? (
        <>
          <dl class="facts">
            <dt>Id</dt>
            <dd>{device.id}</dd>
            <dt>Type / model</dt>
            <dd>
              {device.deviceType} / {device.model} ({device.manufacturerName}, {device.protocolType})
            </dd>
            <dt>Firmware</dt>
            <dd>{device.fwVersion ?? '—'}</dd>
            <dt>Software</dt>
            <dd>{device.swVersion ?? '—'}</dd>
            <dt>Status</dt>
            <dd>
              <Badge value={device.status} /> {device.statusDetail && device.statusDetail !== 'NONE' ? device.statusDetail : ''}
            </dd>
            <dt>Known as of</dt>
            <dd>{time(device.syncedAt)}</dd>
          </dl>
          <h2>Upgrade history</h2>
          {device.operations?.nodes.length ? (
            <OperationsTable operations={device.operations.nodes} progressHeading="Progress (whole task)" />
          ) : (
            <p>No upgrade task has targeted this device.</p>
          )}
        </>
      ) : null}
    </>
  );
}
