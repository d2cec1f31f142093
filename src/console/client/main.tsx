import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Provider } from '@urql/preact';
import type { Client } from '@urql/core';
import { createApiClient, roleOfKey, storedKey, storeKey, type Role } from './api';
import { AuditPage } from './audit';
import { DevicePage, FleetPage } from './fleet';
import { RolloutForm } from './rollout-form';
import { RolloutPage, RolloutsPage } from './rollouts';
import { GroupsPage } from './groups';
import { StatusPage } from './status';
import { TaskPage, TasksPage } from './tasks';
import { href, PageTitle, RoleContext, useRoute } from './ui';
import './style.css';

const root = document.getElementById('console') as HTMLElement;
/** Set by the gateway's page: where GraphQL is, and whether it asks for API keys. */
const endpoint = root.dataset.endpoint ?? '/graphql';
const keysRequired = root.dataset.auth === 'keys';

type Session = { client: Client; close(): void; role: Role };

function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [problem, setProblem] = useState<string | undefined>();
  const [checking, setChecking] = useState(false);

  const signIn = async (key: string | undefined) => {
    setChecking(true);
    const api = createApiClient(endpoint, key, () => signOut('The gateway no longer accepts this key.'));
    const known = await roleOfKey(api.client);
    setChecking(false);
    if (!known.ok) {
      api.close();
      storeKey(undefined);
      setProblem(known.message);
      return;
    }
    storeKey(key);
    setProblem(undefined);
    setSession({ ...api, role: known.role });
  };
  const signOut = (message?: string) => {
    setSession((s) => {
      s?.close();
      return undefined;
    });
    storeKey(undefined);
    setProblem(message);
  };
  useEffect(() => {
    const key = storedKey();
    if (key !== undefined || !keysRequired) void signIn(key);
  }, []);

  if (!session) return <KeyForm problem={problem} checking={checking} onSubmit={(key) => void signIn(key)} />;
  return (
    <Provider value={session.client}>
      <RoleContext.Provider value={session.role}>
        <Shell role={session.role} onSignOut={keysRequired ? () => signOut() : undefined} />
      </RoleContext.Provider>
    </Provider>
  );
}

function KeyForm({ problem, checking, onSubmit }: { problem?: string; checking: boolean; onSubmit: (key: string) => void }) {
  const [key, setKey] = useState('');
  if (!keysRequired && !problem) return <p aria-busy="true">Connecting…</p>;
  return (
    <main class="signin">
      <PageTitle>Operators' console</PageTitle>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) onSubmit(key.trim());
        }}
      >
        <p>This gateway asks for an API key. It is kept in this tab only (session storage) until you sign out or close it.</p>
        {problem ? (
          <p class="error" role="alert">
            {problem}
          </p>
        ) : null}
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autoComplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} autoFocus />
        <button type="submit" disabled={checking}>
          {checking ? 'Checking…' : 'Open the console'}
        </button>
      </form>
    </main>
  );
}

const SECTIONS = [
  ['fleet', 'Fleet'],
  ['tasks', 'Tasks'],
  ['rollouts', 'Rollouts'],
  ['groups', 'Groups'],
  ['audit', 'Audit'],
  ['status', 'Status'],
] as const;

function Shell({ role, onSignOut }: { role: Role; onSignOut?: () => void }) {
  const route = useRoute();
  const [section = 'fleet', id] = route;
  useEffect(() => {
    document.title = `${SECTIONS.find(([s]) => s === section)?.[1] ?? 'Console'} · Northbound console`;
  }, [section]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header>
        <span class="brand">Northbound console</span>
        <nav aria-label="Sections">
          {SECTIONS.map(([path, label]) => (
            <a key={path} href={href(path)} aria-current={section === path || (section === 'devices' && path === 'fleet') ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who">
          <span>{role === 'operate' ? 'operate' : 'read only'}</span>
          {onSignOut ? (
            <button type="button" class="link" onClick={onSignOut}>
              Sign out
            </button>
          ) : null}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Page section={section} id={id} />
      </main>
    </>
  );
}

function Page({ section, id }: { section: string; id?: string }) {
  switch (section) {
    case 'fleet':
      return <FleetPage />;
    case 'devices':
      return id ? <DevicePage key={id} id={id} /> : <FleetPage />;
    case 'tasks':
      return id ? <TaskPage key={id} id={id} /> : <TasksPage />;
    case 'rollouts':
      if (id === 'new') return <RolloutForm />;
      return id ? <RolloutPage key={id} id={id} /> : <RolloutsPage />;
    case 'groups':
      return <GroupsPage />;
    case 'audit':
      return <AuditPage />;
    case 'status':
      return <StatusPage />;
    default:
      return (
        <>
          <PageTitle>Not found</PageTitle>
          <p>
            Nothing here: go to the <a href={href('fleet')}>fleet</a>.
          </p>
        </>
      );
  }
}

// The page's "Loading" line goes: Preact renders into an empty element.
root.replaceChildren();
render(<App />, root);
