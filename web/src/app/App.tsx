import { useSyncExternalStore } from 'react';
import { Link } from '../components/Link';
import { SignInPage } from '../features/auth/SignInPage';
import { UserBadge } from '../features/auth/UserBadge';
import { ExperimentSettings } from '../features/experiments/ExperimentSettings';
import { ExperimentsPage } from '../features/experiments/ExperimentsPage';
import { GrantsEditor } from '../features/permissions/GrantsEditor';
import { ModelPage } from '../features/registry/ModelPage';
import { ModelsPage } from '../features/registry/ModelsPage';
import { ModelVersionPage } from '../features/registry/ModelVersionPage';
import { RegisterModel } from '../features/registry/RegisterModel';
import { ComparePage } from '../features/runs/ComparePage';
import { RunPage } from '../features/runs/RunPage';
import { RunsPage } from '../features/runs/RunsPage';
import { useLocation } from '../lib/router';
import { getToken, subscribe } from '../lib/session';

function Page({ path }: { path: string }) {
  const seg = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (seg[0] === 'experiments' && seg[1]) {
    const id = seg[1];
    const settings = (
      <ExperimentSettings experimentId={id}>
        <GrantsEditor resource={{ experimentId: id }} />
      </ExperimentSettings>
    );
    return <RunsPage key={id} experimentId={id} settings={settings} />;
  }
  if (seg[0] === 'runs' && seg[1]) return <RunPage key={seg[1]} runId={seg[1]} register={(run) => <RegisterModel run={run} />} />;
  if (seg[0] === 'compare') return <ComparePage />;
  if (seg[0] === 'models' && seg[1] && seg[2] === 'versions' && seg[3]) return <ModelVersionPage key={`${seg[1]}/${seg[3]}`} name={seg[1]} version={seg[3]} />;
  if (seg[0] === 'models' && seg[1]) return <ModelPage key={seg[1]} name={seg[1]} permissions={<GrantsEditor resource={{ modelName: seg[1] }} />} />;
  if (seg[0] === 'models') return <ModelsPage />;
  if (seg.length === 0 || seg[0] === 'experiments') return <ExperimentsPage />;
  return (
    <main>
      <h1>Page not found</h1>
      <p>
        <Link to="/">Go to the experiments</Link>
      </p>
    </main>
  );
}

export function App() {
  const token = useSyncExternalStore(subscribe, getToken);
  const { path } = useLocation();
  if (!token) return <SignInPage />;
  const section = path.startsWith('/models') ? 'models' : 'experiments';
  return (
    <>
      <header className="top">
        <nav aria-label="Main">
          <span className="brand">Registry</span>
          <Link to="/" className={section === 'experiments' ? 'current' : undefined}>
            Experiments
          </Link>
          <Link to="/models" className={section === 'models' ? 'current' : undefined}>
            Models
          </Link>
        </nav>
        <UserBadge />
      </header>
      <Page path={path} />
    </>
  );
}
