// The podsentinel dashboard: hash routes, one live event stream, five views.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { adoptTokenFromFragment, token } from './api.ts';
import { useLive } from './events.ts';
import { AnomalyView } from './views/anomaly.tsx';
import { ClusterView } from './views/cluster.tsx';
import { HistoryView } from './views/history.tsx';
import { PodView } from './views/pod.tsx';
import { PodsView } from './views/pods.tsx';
import './styles.css';

type Route =
  | { view: 'cluster' }
  | { view: 'pods' }
  | { view: 'pod'; namespace: string; pod: string }
  | { view: 'anomaly'; id: string }
  | { view: 'history' };

function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  switch (parts[0]) {
    case 'pods':
      return { view: 'pods' };
    case 'pod':
      if (parts[1] && parts[2]) return { view: 'pod', namespace: parts[1], pod: parts[2] };
      return { view: 'pods' };
    case 'anomaly':
      if (parts[1]) return { view: 'anomaly', id: parts[1] };
      return { view: 'cluster' };
    case 'history':
      return { view: 'history' };
    default:
      return { view: 'cluster' };
  }
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const on = () => setRoute(parse(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

const NAV = [
  ['cluster', '#/', 'Cluster'],
  ['pods', '#/pods', 'Pods'],
  ['history', '#/history', 'Remediations'],
] as const;

function App() {
  const route = useRoute();
  const live = useLive();
  const section = route.view === 'pod' ? 'pods' : route.view === 'anomaly' ? 'cluster' : route.view;
  return (
    <>
      <header>
        <span class="brand">podsentinel</span>
        <nav>
          {NAV.map(([key, href, label]) => (
            <a href={href} class={section === key ? 'active' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span class={`live ${live ? 'on' : 'off'}`} title="server event stream" data-live={live ? 'on' : 'off'}>
          {live ? 'live' : 'offline'}
        </span>
        <span class="who" title="writes (decisions) need the token from the server's URL">
          {token() ? 'token set' : 'read-only'}
        </span>
      </header>
      <main>
        {route.view === 'cluster' && <ClusterView />}
        {route.view === 'pods' && <PodsView />}
        {route.view === 'pod' && <PodView namespace={route.namespace} pod={route.pod} />}
        {route.view === 'anomaly' && <AnomalyView id={route.id} />}
        {route.view === 'history' && <HistoryView />}
      </main>
    </>
  );
}

adoptTokenFromFragment();
render(<App />, document.getElementById('app')!);
