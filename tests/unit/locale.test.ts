import { describe, expect, it } from 'vitest';
import { formatInt, safeLocale, safeNavigatorLanguage } from '../../src/locale';

/** What browsers expose: `language` as a getter on the prototype, as Navigator does. */
class FakeNavigator {
  constructor(private readonly reported: string) {}
  get language(): string {
    return this.reported;
  }
}

describe('safeLocale', () => {
  it('turns what browsers and systems report into tags Intl accepts', () => {
    // The values that break Intl as they are: the test would pass nothing through unchanged.
    for (const bad of ['C', 'en_US', 'en_US.UTF-8', 'C.UTF-8']) expect(() => new Intl.NumberFormat(bad)).toThrow(RangeError);
    expect(safeLocale('C')).toBe('en-US');
    expect(safeLocale('C.UTF-8')).toBe('en-US');
    expect(safeLocale('POSIX')).toBe('en-US');
    expect(safeLocale('')).toBe('en-US');
    expect(safeLocale(undefined)).toBe('en-US');
    expect(safeLocale(null)).toBe('en-US');
    expect(safeLocale('en_US')).toBe('en-US');
    expect(safeLocale('en_US.UTF-8')).toBe('en-US');
    expect(safeLocale('de_DE@euro')).toBe('de-DE');
    expect(safeLocale('pt-br')).toBe('pt-BR');
    expect(safeLocale('fr')).toBe('fr');
    expect(safeLocale('!!')).toBe('en-US');
    expect(safeLocale('C', 'fr')).toBe('fr');
    for (const tag of ['C', '', 'en_US', 'POSIX', 'de_DE.UTF-8', 'zz_ZZ', '%%']) {
      expect(() => new Intl.NumberFormat(safeLocale(tag)).format(1234.5)).not.toThrow();
      expect(() => new Intl.DateTimeFormat(safeLocale(tag)).format(0)).not.toThrow();
    }
  });

  it('formats the page’s whole numbers the English way', () => {
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatInt(0)).toBe('0');
  });
});

describe('safeNavigatorLanguage', () => {
  it('gives a navigator that says "C" (WebKitGTK under LANG=C.UTF-8) a language Intl accepts', () => {
    const nav = new FakeNavigator('C') as unknown as Navigator;
    expect(() => new Intl.NumberFormat(nav.language)).toThrow(RangeError);
    expect(safeNavigatorLanguage(nav)).toBe('en-US');
    expect(nav.language).toBe('en-US');
    expect(() => new Intl.NumberFormat(nav.language)).not.toThrow();
  });

  it('rewrites "en_US" and "" too, and leaves a good language alone', () => {
    const posix = new FakeNavigator('en_US') as unknown as Navigator;
    expect(safeNavigatorLanguage(posix)).toBe('en-US');
    const empty = new FakeNavigator('') as unknown as Navigator;
    expect(safeNavigatorLanguage(empty)).toBe('en-US');
    const good = new FakeNavigator('de-CH') as unknown as Navigator;
    expect(safeNavigatorLanguage(good)).toBe('de-CH');
    expect(Object.getOwnPropertyDescriptor(good, 'language')).toBeUndefined();
  });

  it('leaves a navigator it cannot change as it is', () => {
    const frozen = Object.freeze(new FakeNavigator('C')) as unknown as Navigator;
    expect(safeNavigatorLanguage(frozen)).toBe('C');
  });
});
