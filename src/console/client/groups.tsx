import { useQuery } from '@urql/preact';
import { DynamicGroupsDocument } from './generated/graphql';
import { ErrorNote, href, Loading, PageTitle, useCanOperate } from './ui';

/** Dynamic groups: saved filters, with how many devices each matches now (created through the API: README). */
export function GroupsPage() {
  const canOperate = useCanOperate();
  const [groups] = useQuery({ query: DynamicGroupsDocument, variables: {}, requestPolicy: 'cache-and-network' });
  const list = groups.data?.dynamicGroups;
  return (
    <>
      <PageTitle>Dynamic groups</PageTitle>
      <p class="muted">
        Saved device filters: a group's members are the devices its filter matches now. A{' '}
        {canOperate ? <a href={href('rollouts', 'new')}>new rollout</a> : 'new rollout'} may target one, and keep taking the devices that come to match
        it (continuous).
      </p>
      <ErrorNote error={groups.error} />
      {list ? (
        list.nodes.length === 0 ? (
          <p>No dynamic group yet: create one with the createDynamicGroup mutation.</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  <th scope="col">Members</th>
                  <th scope="col">Filter</th>
                </tr>
              </thead>
              <tbody>
                {list.nodes.map((g) => (
                  <tr key={g.id}>
                    <td>{g.name}</td>
                    <td data-testid="members">{g.memberCount}</td>
                    <td>
                      <code>{filterText(g.filter as Record<string, unknown>)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : groups.fetching ? (
        <Loading />
      ) : null}
    </>
  );
}

/** `model = WM100, status in ONLINE`: the saved filter in a line. */
function filterText(filter: Record<string, unknown>): string {
  const parts = Object.entries(filter).map(([key, value]) => `${key} ${Array.isArray(value) ? 'in' : '='} ${typeof value === 'object' && !Array.isArray(value) ? JSON.stringify(value) : String(value)}`);
  return parts.length === 0 ? 'every device' : parts.join(', ');
}
