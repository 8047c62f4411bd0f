/**
 * The console: who is signed in (GET /session), the navigation, and the page of the URL's
 * fragment. A 401 from any request means the session ended: back to signing in, with the reason.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, onSessionEnded } from './api';
import { can, type Grants, type Scope } from './grants';
import { Audit } from './pages/audit';
import { Unavailable } from './pages/unavailable';
import { DevicePage } from './pages/device';
import { Devices } from './pages/devices';
import { DeniedDevices } from './pages/denied';
import { Overview } from './pages/overview';
import { SignIn } from './pages/sign-in';
import { TenantPage } from './pages/tenant';
import { Tenants } from './pages/tenants';
import { Tokens } from './pages/tokens';
import { href, useLocation, type Location } from './router';

/** The navigation: a link is offered only when the token may read what it leads to. */
const LINKS: readonly { segment: string; text: string; needs: readonly Scope[] }[] = [
  { segment: 'tenants', text: 'Tenants', needs: ['tenants:read'] },
  { segment: 'devices', text: 'Devices', needs: ['devices:read'] },
  { segment: 'denied', text: 'Denied devices', needs: ['devices:read'] },
  { segment: 'tokens', text: 'Tokens', needs: [] },
  { segment: 'audit', text: 'Audit', needs: ['audit:read'] },
];

function offered(grants: Grants, segment: string): boolean {
  if (segment === 'tokens') return can(grants, 'tokens:read') || can(grants, 'tokens:create');
  return LINKS.find((l) => l.segment === segment)?.needs.every((scope) => can(grants, scope)) ?? true;
}

function Navigation({ grants, current, onSignOut }: { grants: Grants; current: string; onSignOut: () => void }) {
  return (
    <header class="top">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('page-title')?.focus())}>Skip to content</a>
      <a class="brand" href={href([])} aria-current={current === '' ? 'page' : undefined}>Device Registry</a>
      <nav aria-label="Main">
        <ul>
          {LINKS.filter((l) => offered(grants, l.segment)).map((l) => (
            <li key={l.segment}><a href={href([l.segment])} aria-current={current === l.segment ? 'page' : undefined}>{l.text}</a></li>
          ))}
        </ul>
      </nav>
      <div class="who">
        <span title="The token of this session"><code>{grants['token-id']}</code></span>
        {grants.authentication === 'session' && <button type="button" onClick={onSignOut}>Sign out</button>}
      </div>
    </header>
  );
}

function Content({ grants, where }: { grants: Grants; where: Location }) {
  const [segment = ''] = where.segments;
  if (!offered(grants, segment)) return <Unavailable title="Not available" what="This token may not see this page." />;
  switch (segment) {
    case '': return <Overview grants={grants} />;
    case 'tenants': return where.segments[1] === undefined ? <Tenants grants={grants} where={where} /> : <TenantPage key={where.segments[1]} grants={grants} id={where.segments[1]} created={where.params.has('created')} />;
    case 'devices': return where.segments[2] === undefined ? <Devices grants={grants} where={where} />
      : <DevicePage key={where.segments.join('/')} grants={grants} tenant={where.segments[1] ?? ''} id={where.segments[2]} created={where.params.has('created')} />;
    case 'denied': return <DeniedDevices grants={grants} where={where} />;
    case 'tokens': return <Tokens grants={grants} />;
    case 'audit': return <Audit grants={grants} where={where} />;
    default: return <Unavailable title="Not found" what="There is no such page of the console." />;
  }
}

type State = { kind: 'loading' } | { kind: 'signed-out'; reason?: string } | { kind: 'signed-in'; grants: Grants };

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const where = useLocation();
  useEffect(() => {
    onSessionEnded((reason) => setState({ kind: 'signed-out', reason: `You were signed out: ${reason}.` }));
    api<Grants>('GET', '/session', undefined, { signingIn: true }).then(
      ({ body }) => setState({ kind: 'signed-in', grants: body }),
      () => setState({ kind: 'signed-out' }),
    );
  }, []);
  const signOut = async () => {
    await api('DELETE', '/session').catch(() => undefined);
    setState({ kind: 'signed-out', reason: 'You signed out.' });
  };
  if (state.kind === 'loading') return <main id="main" class="loading" aria-busy="true">Loading…</main>;
  if (state.kind === 'signed-out') return <SignIn ended={state.reason} onSignedIn={(grants) => setState({ kind: 'signed-in', grants })} />;
  return (
    <>
      <Navigation grants={state.grants} current={where.segments[0] ?? ''} onSignOut={() => void signOut()} />
      <main id="main"><Content grants={state.grants} where={where} /></main>
    </>
  );
}
