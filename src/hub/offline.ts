/** Download failures said as what they mean for the person: offline, or the host unreachable. */

export /**
 * Runs a download; a network failure (no connection, host unreachable) becomes a sentence that says
 * the page is offline and that models stored in this browser still work, instead of "Failed to fetch".
 */
async function whenOnline<T>(repo: string, host: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as { name?: string; message?: string };
    const network = e.name === 'TypeError' || e.name === 'HubError:network' || /Failed to fetch|NetworkError|network/i.test(e.message ?? '');
    if (!network) throw err;
    const offline = (globalThis.navigator as Navigator | undefined)?.onLine === false;
    throw new Error(
      `${offline ? 'This page is offline' : `${new URL(host, 'http://x').host} cannot be reached`}, so ${repo} cannot be downloaded (it is not stored in this browser). ` +
        'Models stored in this browser still work: load one from “Your models”.',
      { cause: err },
    );
  }
}
