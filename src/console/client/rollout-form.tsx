import { useState } from 'preact/hooks';
import { useMutation, useQuery } from '@urql/preact';
import type { ComponentChildren } from 'preact';
import { validationErrors, type ValidationError } from './api';
import { CreateRolloutDocument, DynamicGroupsDocument, FleetCountDocument, PackagesDocument, type CreateRolloutInput, type DeviceFilter, type DeviceStatus, type OperationType, type Weekday } from './generated/graphql';
import { ErrorNote, href, PageTitle, useCanOperate, useDebounced } from './ui';

const STATUSES: DeviceStatus[] = ['ONLINE', 'OFFLINE', 'ABNORMAL', 'INACTIVE'];
const WEEKDAYS: Weekday[] = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'];

interface Wave {
  kind: 'percent' | 'count';
  value: string;
}

/** A number field's value as the API wants it: absent when empty, NaN passed on for the gateway to name. */
function numberOf(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

export function RolloutForm() {
  const canOperate = useCanOperate();
  const [type, setType] = useState<OperationType>('FIRMWARE_UPGRADE');
  const [fileId, setFileId] = useState('');
  const [name, setName] = useState('');
  const [filter, setFilter] = useState<{ deviceType: string; model: string; manufacturerName: string; versionNot: string; nameContains: string; status: DeviceStatus[] }>({
    deviceType: '',
    model: '',
    manufacturerName: '',
    versionNot: '',
    nameContains: '',
    status: [],
  });
  const [waves, setWaves] = useState<Wave[]>([
    { kind: 'percent', value: '10' },
    { kind: 'percent', value: '100' },
  ]);
  // Target: the filter below, or a dynamic group (a saved filter), optionally followed as devices come to match it.
  const [groupId, setGroupId] = useState('');
  const [continuous, setContinuous] = useState(false);
  const [soak, setSoak] = useState('0');
  const [threshold, setThreshold] = useState({ percent: '20', minFinished: '1' });
  // One maintenance window at most here (the API takes several); no day ticked: none.
  const [schedule, setSchedule] = useState({ startAt: '', days: [] as Weekday[], start: '02:00', duration: '120', timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone });
  // One key per form: a double submission or a retry after a lost answer creates one rollout.
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());

  const [packages] = useQuery({ query: PackagesDocument, variables: { type: type === 'FIRMWARE_UPGRADE' ? 'FIRMWARE' : 'SOFTWARE' } });
  const deviceFilter: DeviceFilter = {
    ...(filter.deviceType ? { deviceType: filter.deviceType } : {}),
    ...(filter.model ? { model: filter.model } : {}),
    ...(filter.manufacturerName ? { manufacturerName: filter.manufacturerName } : {}),
    ...(filter.nameContains ? { nameContains: filter.nameContains } : {}),
    ...(filter.status.length ? { status: filter.status } : {}),
    ...(filter.versionNot ? (type === 'FIRMWARE_UPGRADE' ? { fwVersionNot: filter.versionNot } : { swVersionNot: filter.versionNot }) : {}),
  };
  const [count] = useQuery({ query: FleetCountDocument, variables: { filter: useDebounced(deviceFilter, 300) } });
  const [groups] = useQuery({ query: DynamicGroupsDocument, variables: {} });
  const [created, create] = useMutation(CreateRolloutDocument);
  const errors = validationErrors(created.error);

  if (!canOperate) {
    return (
      <>
        <PageTitle>New rollout</PageTitle>
        <p>Creating a rollout needs an API key with the operate role.</p>
      </>
    );
  }

  const choosePackage = (id: string) => {
    setFileId(id);
    const pkg = packages.data?.upgradePackages?.nodes.find((p) => p.id === id);
    // The package's product is the filter's natural start; devices already on its version have nothing to do.
    if (pkg) setFilter((f) => ({ ...f, deviceType: pkg.deviceType ?? '', model: pkg.model ?? '', manufacturerName: pkg.manufacturerName ?? '', versionNot: pkg.version ?? '' }));
  };
  const submit = async (event: Event) => {
    event.preventDefault();
    const input: CreateRolloutInput = {
      type,
      fileId,
      ...(name ? { name } : {}),
      targets: groupId ? { dynamicGroupId: groupId } : { filter: deviceFilter },
      ...(groupId && continuous ? { continuous } : {}),
      waves: waves.map((w) => ({ [w.kind]: numberOf(w.value) })),
      soakMinutes: numberOf(soak) ?? 0,
      ...(threshold.percent.trim() ? { failureThreshold: { percent: numberOf(threshold.percent) as number, minFinished: numberOf(threshold.minFinished) ?? 1 } } : {}),
      // datetime-local is the browser's local time.
      ...(schedule.startAt ? { startAt: new Date(schedule.startAt).toISOString() } : {}),
      ...(schedule.days.length > 0 ? { maintenanceWindows: [{ days: schedule.days, start: schedule.start, durationMinutes: numberOf(schedule.duration) as number, timeZone: schedule.timeZone }] } : {}),
      idempotencyKey,
    };
    const result = await create({ input });
    if (result.data) location.hash = href('rollouts', result.data.createRollout.rolloutId);
    else if (validationErrors(result.error).length > 0) setIdempotencyKey(crypto.randomUUID());
  };
  const setF = (key: keyof typeof filter) => (event: Event) => {
    const value = (event.currentTarget as HTMLInputElement).value;
    setFilter((f) => ({ ...f, [key]: value }));
  };
  const matching = count.data?.fleetSummary?.total;
  const unplaced = errors.filter((e) => !PLACED.some((prefix) => e.path === prefix || e.path.startsWith(`${prefix}.`)));

  return (
    <>
      <p>
        <a href={href('rollouts')}>← Rollouts</a>
      </p>
      <PageTitle>New rollout</PageTitle>
      <form class="rollout-form" onSubmit={(e) => void submit(e)} noValidate>
        {unplaced.length > 0 ? (
          <ul class="error" role="alert">
            {unplaced.map((e) => (
              <li key={e.path + e.message}>
                {e.path}: {e.message}
              </li>
            ))}
          </ul>
        ) : errors.length === 0 ? (
          <ErrorNote error={created.error} />
        ) : (
          <p class="error" role="alert">
            The gateway refused the rollout: see the fields marked below.
          </p>
        )}
        <fieldset>
          <legend>Package</legend>
          <label>
            Type
            <select value={type} onChange={(e) => setType(e.currentTarget.value as OperationType)}>
              <option value="FIRMWARE_UPGRADE">firmware</option>
              <option value="SOFTWARE_UPGRADE">software</option>
            </select>
          </label>
          <Field label="Package" path="input.fileId" errors={errors}>
            {(props) => (
              <select {...props} value={fileId} onChange={(e) => choosePackage(e.currentTarget.value)}>
                <option value="">choose a package</option>
                {packages.data?.upgradePackages?.nodes.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name ?? p.id} — {p.deviceType} / {p.model} → {p.version}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <label>
            Name (optional)
            <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
        </fieldset>

        <fieldset>
          <legend>Target devices</legend>
          <Field label="Dynamic group" path="input.targets.dynamicGroupId" errors={errors}>
            {(props) => (
              <select {...props} value={groupId} onChange={(e) => setGroupId(e.currentTarget.value)}>
                <option value="">none: the filter below</option>
                {groups.data?.dynamicGroups?.nodes.map((g) => (
                  <option key={g.id} value={g.id}>
                    {g.name} ({g.memberCount} devices)
                  </option>
                ))}
              </select>
            )}
          </Field>
          {groupId ? (
            <label class="check">
              <input type="checkbox" checked={continuous} onChange={(e) => setContinuous(e.currentTarget.checked)} />
              Continuous: also take the devices that come to match the group later, until stopped
            </label>
          ) : null}
          <fieldset class="inline filter" disabled={Boolean(groupId)}>
            <legend class="visually-hidden">Filter</legend>
            <Field label="Device type" path="input.targets" errors={errors}>
              {(props) => <input {...props} value={filter.deviceType} onInput={setF('deviceType')} />}
            </Field>
            <label>
              Model
              <input value={filter.model} onInput={setF('model')} />
            </label>
            <label>
              Manufacturer
              <input value={filter.manufacturerName} onInput={setF('manufacturerName')} />
            </label>
            <label>
              Not yet on version
              <input value={filter.versionNot} onInput={setF('versionNot')} />
            </label>
            <label>
              Name contains
              <input value={filter.nameContains} onInput={setF('nameContains')} />
            </label>
            <Checks legend="Status (any when none ticked)" choices={STATUSES} chosen={filter.status} label={(s) => s.toLowerCase()} onChange={(status) => setFilter((f) => ({ ...f, status }))} />
          </fieldset>
          <p class="count" aria-live="polite" data-testid="matching">
            {groupId ? `${groups.data?.dynamicGroups?.nodes.find((g) => g.id === groupId)?.memberCount ?? 0} devices in the group now` : matching === undefined ? 'Counting matching devices…' : `${matching} matching devices`}
          </p>
        </fieldset>

        <fieldset>
          <legend>Waves</legend>
          <FieldErrors path="input.waves" errors={errors} exact />
          <ol class="wave-inputs">
            {waves.map((wave, i) => (
              <li key={i}>
                <Field label={`Wave ${i + 1} size`} path={`input.waves.${i}`} errors={errors}>
                  {(props) => (
                    <input
                      {...props}
                      inputMode="decimal"
                      value={wave.value}
                      onInput={(e) => {
                        const value = e.currentTarget.value;
                        setWaves((ws) => ws.map((w, j) => (j === i ? { ...w, value } : w)));
                      }}
                    />
                  )}
                </Field>
                <label>
                  <span class="visually-hidden">Wave {i + 1} unit</span>
                  <select value={wave.kind} onChange={(e) => {
                    const kind = e.currentTarget.value as Wave['kind'];
                    setWaves((ws) => ws.map((w, j) => (j === i ? { ...w, kind } : w)));
                  }}>
                    <option value="percent">% of the devices</option>
                    <option value="count">devices</option>
                  </select>
                </label>
                {waves.length > 1 ? (
                  <button type="button" onClick={() => setWaves((ws) => ws.filter((_, j) => j !== i))}>
                    Remove wave {i + 1}
                  </button>
                ) : null}
              </li>
            ))}
          </ol>
          <button type="button" onClick={() => setWaves((ws) => [...ws, { kind: 'percent', value: '100' }])}>
            Add a wave
          </button>
          <p class="muted">The last wave takes whatever remains.</p>
          <Field label="Soak between waves (minutes)" path="input.soakMinutes" errors={errors}>
            {(props) => <input {...props} inputMode="numeric" value={soak} onInput={(e) => setSoak(e.currentTarget.value)} />}
          </Field>
        </fieldset>

        <fieldset>
          <legend>Failure threshold</legend>
          <Field label="Halt when this % of finished devices failed (empty: never)" path="input.failureThreshold.percent" errors={errors}>
            {(props) => <input {...props} inputMode="decimal" value={threshold.percent} onInput={(e) => setThreshold((t) => ({ ...t, percent: e.currentTarget.value }))} />}
          </Field>
          <Field label="Once at least this many finished" path="input.failureThreshold.minFinished" errors={errors}>
            {(props) => <input {...props} inputMode="numeric" value={threshold.minFinished} onInput={(e) => setThreshold((t) => ({ ...t, minFinished: e.currentTarget.value }))} />}
          </Field>
        </fieldset>

        <fieldset>
          <legend>Schedule</legend>
          <Field label="Start at (empty: at once)" path="input.startAt" errors={errors}>
            {(props) => <input {...props} type="datetime-local" value={schedule.startAt} onInput={(e) => setSchedule((x) => ({ ...x, startAt: e.currentTarget.value }))} />}
          </Field>
          <Checks legend="Maintenance window days (none ticked: any time)" choices={WEEKDAYS} chosen={schedule.days} label={(d) => d.slice(0, 3).toLowerCase()} onChange={(days) => setSchedule((x) => ({ ...x, days }))}>
            <FieldErrors path="input.maintenanceWindows.0.days" errors={errors} />
          </Checks>
          <Field label="Window opens at (HH:MM, local to its time zone)" path="input.maintenanceWindows.0.start" errors={errors}>
            {(props) => <input {...props} value={schedule.start} onInput={(e) => setSchedule((x) => ({ ...x, start: e.currentTarget.value }))} />}
          </Field>
          <Field label="Window length (minutes)" path="input.maintenanceWindows.0.durationMinutes" errors={errors}>
            {(props) => <input {...props} inputMode="numeric" value={schedule.duration} onInput={(e) => setSchedule((x) => ({ ...x, duration: e.currentTarget.value }))} />}
          </Field>
          <Field label="Window time zone (IANA)" path="input.maintenanceWindows.0.timeZone" errors={errors}>
            {(props) => <input {...props} value={schedule.timeZone} onInput={(e) => setSchedule((x) => ({ ...x, timeZone: e.currentTarget.value }))} />}
          </Field>
        </fieldset>

        <p class="actions">
          <button type="submit" disabled={created.fetching}>
            Create rollout
          </button>
        </p>
      </form>
    </>
  );
}

/** Paths the form shows next to a field; anything else is listed at the top. */
const PLACED = ['input.fileId', 'input.targets', 'input.continuous', 'input.waves', 'input.soakMinutes', 'input.failureThreshold.percent', 'input.failureThreshold.minFinished', 'input.startAt', 'input.maintenanceWindows.0'];

function matches(error: ValidationError, path: string, exact = false): boolean {
  return error.path === path || (!exact && error.path.startsWith(`${path}.`));
}

function FieldErrors({ path, errors, exact, id }: { path: string; errors: ValidationError[]; exact?: boolean; id?: string }) {
  const mine = errors.filter((e) => matches(e, path, exact));
  if (mine.length === 0) return null;
  return (
    <span class="field-error" id={id}>
      {mine.map((e) => e.message).join('; ')}
    </span>
  );
}

/** A set of checkboxes: the values ticked, in the order ticked. */
function Checks<T extends string>(props: { legend: string; choices: readonly T[]; chosen: T[]; label: (value: T) => string; onChange: (chosen: T[]) => void; children?: ComponentChildren }) {
  const { legend, choices, chosen, label, onChange, children } = props;
  return (
    <fieldset class="inline">
      <legend>{legend}</legend>
      {children}
      {choices.map((value) => (
        <label key={value} class="check">
          <input type="checkbox" checked={chosen.includes(value)} onChange={(e) => onChange(e.currentTarget.checked ? [...chosen, value] : chosen.filter((x) => x !== value))} />
          {label(value)}
        </label>
      ))}
    </fieldset>
  );
}

interface ControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby'?: string;
}

/** A labelled control with the gateway's messages for its path beside it, tied to it for screen readers. */
function Field({ label, path, errors, children }: { label: string; path: string; errors: ValidationError[]; children: (props: ControlProps) => ComponentChildren }) {
  const id = `field-${path.replace(/\W/g, '-')}`;
  const invalid = errors.some((e) => matches(e, path));
  return (
    <div class={invalid ? 'field invalid' : 'field'}>
      <label for={id}>{label}</label>
      {children({ id, 'aria-invalid': invalid, ...(invalid ? { 'aria-describedby': `${id}-error` } : {}) })}
      <FieldErrors path={path} errors={errors} id={`${id}-error`} />
    </div>
  );
}
