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

/**
 * Asked before the view changes (a link, the back button, `go`): false keeps the current view, and
 * the guard asks the user (the UDF page with unsaved edits does), then calls `go` itself.
 */
export type LeaveGuard = (to: Route) => boolean;
let leaveGuard: LeaveGuard | null = null;

/** Sets the guard of the current view; the returned function removes it. */
export function guardLeaving(guard: LeaveGuard): () => void {
  leaveGuard = guard;
  return () => {
    if (leaveGuard === guard) leaveGuard = null;
  };
}

addEventListener('hashchange', (event) => {
  const to = parse(location.hash);
  if (leaveGuard && hashOf(to) !== hashOf(router.route) && !leaveGuard(to)) {
    // Stay: put the address back without another hashchange.
    history.replaceState(history.state, '', event.oldURL);
    return;
  }
  router.route = to;
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
