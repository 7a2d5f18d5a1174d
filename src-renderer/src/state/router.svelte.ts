/**
 * Which view the window shows, kept in the URL's hash (`#/udf/Name`, `#/tokens`, ...), so reloads
 * and the back button work.
 */

export type Route =
  | { view: 'home' }
  | { view: 'udf'; name: string }
  | { view: 'tokens' }
  | { view: 'cache' }
  | { view: 'jobs' }
  | { view: 'secrets' }
  | { view: 'settings' };

export const router = $state<{ route: Route }>({ route: parse(location.hash) });

addEventListener('hashchange', () => {
  router.route = parse(location.hash);
});

export function go(route: Route): void {
  location.hash = hashOf(route);
}

export function hashOf(route: Route): string {
  return route.view === 'udf' ? `#/udf/${encodeURIComponent(route.name)}` : route.view === 'home' ? '#/' : `#/${route.view}`;
}

function parse(hash: string): Route {
  const [view, name] = hash.replace(/^#\/?/, '').split('/');
  if (view === 'udf' && name) return { view: 'udf', name: decodeURIComponent(name) };
  if (view === 'tokens' || view === 'cache' || view === 'jobs' || view === 'secrets' || view === 'settings') return { view };
  return { view: 'home' };
}
