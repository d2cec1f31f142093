import type { RolloutFullFragment } from './generated/graphql';
import { time } from './ui';

const DAY = (day: string) => day.slice(0, 1) + day.slice(1, 3).toLowerCase();

/** A rollout's start and maintenance windows, with the next window's opening (on the platform's clock). */
export function ScheduleFacts({ rollout: r }: { rollout: RolloutFullFragment }) {
  return (
    <>
      <dt>Starts</dt>
      <dd>{r.startAt ? time(r.startAt) : 'at once'}</dd>
      <dt>Maintenance windows</dt>
      <dd>
        {r.maintenanceWindows.length === 0
          ? 'none: waves start at any time'
          : r.maintenanceWindows.map((w) => `${w.days.map(DAY).join(', ')} ${w.start} for ${w.durationMinutes} min (${w.timeZone})`).join('; ')}
      </dd>
      {r.windowClosesAt ? (
        <>
          <dt>Current window closes</dt>
          <dd>{time(r.windowClosesAt)}</dd>
        </>
      ) : null}
      {r.nextWindowAt ? (
        <>
          <dt>Next window opens</dt>
          <dd data-testid="next-window">{time(r.nextWindowAt)}</dd>
        </>
      ) : null}
    </>
  );
}

/** Why a running rollout waits, when it does. */
export function WaitLine({ rollout: r }: { rollout: RolloutFullFragment }) {
  if (!r.waitingFor || !r.waitReason) return null;
  return (
    <p class="muted" role="status">
      {r.waitReason.charAt(0).toUpperCase() + r.waitReason.slice(1)}
    </p>
  );
}
