/**
 * The languages a set of tweets is written in (ISO 639-1 codes), for the model card's `language:`.
 * X tweets carry a `lang` tag, but the kept tweets reach training as plain texts, and other
 * sources carry none: so each tweet is classified from its own text — by script for scripts that
 * belong to one language family, and by counting very common words for Latin-script languages.
 */

const STOPWORDS: Record<string, string[]> = {
  en: ['the', 'and', 'is', 'to', 'of', 'in', 'it', 'you', 'that', 'for', 'this', 'with', 'was', 'are', 'on', 'have', 'my', 'but', 'not', 'be', 'just', 'what', 'so', 'at', 'they', 'me'],
  de: ['der', 'die', 'das', 'und', 'ist', 'nicht', 'ich', 'zu', 'den', 'mit', 'von', 'sich', 'auch', 'auf', 'ein', 'eine', 'es', 'dass', 'wie', 'für', 'im', 'aber', 'noch', 'wir', 'sie', 'mal', 'doch', 'hat', 'wenn', 'nur'],
  fr: ['le', 'la', 'les', 'et', 'est', 'un', 'une', 'des', 'du', 'que', 'qui', 'pas', 'je', 'pour', 'dans', 'ce', 'sur', 'avec', 'mais', 'au', 'il', 'elle', 'vous', 'nous', 'très', 'cest', "c'est"],
  es: ['el', 'la', 'los', 'las', 'y', 'es', 'que', 'de', 'en', 'un', 'una', 'por', 'con', 'para', 'no', 'se', 'lo', 'pero', 'más', 'como', 'muy', 'yo', 'del', 'al', 'está'],
  it: ['il', 'lo', 'la', 'gli', 'le', 'e', 'è', 'che', 'di', 'un', 'una', 'per', 'non', 'con', 'sono', 'ma', 'del', 'della', 'anche', 'come', 'questo', 'mi', 'ho'],
  pt: ['o', 'a', 'os', 'as', 'e', 'é', 'que', 'de', 'do', 'da', 'em', 'um', 'uma', 'não', 'para', 'com', 'mas', 'por', 'mais', 'eu', 'isso', 'muito', 'você'],
  nl: ['de', 'het', 'een', 'en', 'is', 'niet', 'van', 'ik', 'dat', 'die', 'op', 'te', 'zijn', 'met', 'voor', 'maar', 'ook', 'nog', 'wel', 'je', 'er', 'naar'],
};

const SCRIPTS: Array<[string, RegExp]> = [
  ['ja', /[\u3040-\u30ff]/u], // kana first: Japanese also writes Han
  ['ko', /[\uac00-\ud7af]/u],
  ['zh', /[\u4e00-\u9fff]/u],
  ['ru', /[\u0400-\u04ff]/u],
  ['ar', /[\u0600-\u06ff]/u],
  ['he', /[\u0590-\u05ff]/u],
  ['el', /[\u0370-\u03ff]/u],
  ['th', /[\u0e00-\u0e7f]/u],
  ['hi', /[\u0900-\u097f]/u],
];

const WORD_SETS = Object.entries(STOPWORDS).map(([lang, words]) => [lang, new Set(words)] as const);

/** The language of one text, or null when it gives too little to tell. */
export function detectLanguage(text: string): string | null {
  for (const [lang, re] of SCRIPTS) if (re.test(text)) return lang;
  const words = text
    .toLowerCase()
    .replace(/https?:\/\/\S+|[@#]\w+/g, ' ')
    .split(/[^\p{L}']+/u)
    .filter(Boolean);
  let best: string | null = null;
  let bestHits = 0;
  for (const [lang, set] of WORD_SETS) {
    let hits = 0;
    for (const w of words) if (set.has(w)) hits++;
    if (hits > bestHits) {
      best = lang;
      bestHits = hits;
    }
  }
  return bestHits >= 1 ? best : null;
}

/**
 * The languages of `texts`, most used first: every language of at least `minShare` of the tweets
 * whose language could be told (and always the most used one). Empty when none could be told.
 */
export function detectLanguages(texts: string[], minShare = 0.15): string[] {
  const counts = new Map<string, number>();
  let told = 0;
  for (const t of texts) {
    const lang = detectLanguage(t);
    if (!lang) continue;
    told++;
    counts.set(lang, (counts.get(lang) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  return ranked.filter(([, n], i) => i === 0 || n / told >= minShare).map(([lang]) => lang);
}
