/**
 * Locales that never throw. Browsers report `navigator.language` values Intl rejects: WebKitGTK
 * under `LANG=C.UTF-8` says "C" (`new Intl.NumberFormat('C')` is a RangeError), some embedded
 * browsers say "" or a POSIX-style "en_US". Everything that hands a locale to Intl or
 * toLocaleString goes through here.
 */

/** The page's own text is English: its numbers are grouped the English way, whatever the browser says. */
export const PAGE_LOCALE = 'en-US';

/** A tag every Intl constructor accepts, made from what a browser or a system reports, else `fallback`. */
export function safeLocale(tag: string | null | undefined, fallback = PAGE_LOCALE): string {
  // "en_US.UTF-8@euro" → "en-US"; "C" and "POSIX" name no language at all.
  const candidate = (tag ?? '').trim().replace(/[.@].*$/, '').replace(/_/g, '-');
  if (candidate === '' || /^(c|posix)$/i.test(candidate)) return fallback;
  try {
    const [canonical] = Intl.getCanonicalLocales(candidate);
    return canonical && Intl.NumberFormat.supportedLocalesOf(canonical).length > 0 ? canonical : fallback;
  } catch {
    return fallback;
  }
}

/** A whole number for the page: 12,345. */
export function formatInt(n: number): string {
  return n.toLocaleString(PAGE_LOCALE);
}

/**
 * Libraries that read `navigator.language` themselves (uPlot builds `Intl.NumberFormat(navigator.language)`
 * when its module loads) get a tag Intl accepts: where the browser's own is rejected, `navigator`
 * is given an own `language` with the safe one. Returns the tag in force.
 */
export function safeNavigatorLanguage(nav: Navigator | undefined = globalThis.navigator): string | undefined {
  if (!nav) return undefined;
  const reported = nav.language;
  const safe = safeLocale(reported);
  if (safe === reported) return reported;
  try {
    Object.defineProperty(nav, 'language', { value: safe, configurable: true });
  } catch {
    return reported; // a navigator that cannot be changed: the caller's own guard takes over
  }
  return nav.language;
}
