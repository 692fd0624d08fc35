/**
 * Cross-origin isolation on hosts that send no headers (GitHub Pages): the service worker
 * (src/sw.ts) serves this site's pages with COOP/COEP, but the very first load comes from the
 * network, before the worker controls the page. So that load reloads once, as soon as the worker
 * has taken over, unless the person already gave the page something to do (files are never lost
 * to a reload). A second reload is never attempted: a session flag guards against loops.
 */
const RELOADED = 'tweetgpt-isolation-reload';

export interface Isolation {
  /** A sentence for the page when wasm must run single-threaded here, or '' when isolated. */
  note(): string;
}

/** `onNote` runs when the note changes later (the worker took over after the person gave input). */
export function ensureIsolation(mayReload: () => boolean, onNote: () => void = () => {}): Isolation {
  const session = safeSessionStorage();
  if (globalThis.crossOriginIsolated) {
    session?.removeItem(RELOADED);
    return { note: () => '' };
  }
  const sw = 'serviceWorker' in navigator && isSecureContext ? navigator.serviceWorker : null;
  // Without session storage a reload could not tell it already happened: never reload then.
  if (!session) return { note: () => '' };
  if (!sw) return { note: () => ' No service worker here (not a secure context?) to add them.' };
  if (session?.getItem(RELOADED)) {
    session.removeItem(RELOADED);
    return { note: () => ' The page reloaded once so its service worker could add them, and it is still not isolated: the host or the browser prevents it.' };
  }
  let note = ' The service worker adds them after one reload.';
  const reloadOnce = () => {
    if (!mayReload()) {
      note = ' Reload the page to let wasm use threads (the service worker now adds the headers).';
      onNote();
      return;
    }
    session.setItem(RELOADED, '1');
    location.reload();
  };
  if (sw.controller) reloadOnce();
  else sw.addEventListener('controllerchange', reloadOnce, { once: true });
  return { note: () => note };
}

function safeSessionStorage(): Storage | null {
  try {
    return sessionStorage;
  } catch {
    return null;
  }
}
