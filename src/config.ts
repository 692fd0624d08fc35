/**
 * Site configuration shared by the page and the engine (no tfjs, no DOM).
 *
 * The model host is configurable so the same loading code runs against the Hugging Face hub for
 * users and against the project's own test host in tests. `VITE_MODEL_HOST` sets the default at
 * build time; `?host=` overrides it per visit (the CSP still limits which hosts can be reached).
 */
export const DEFAULT_MODEL_HOST: string = (import.meta.env?.VITE_MODEL_HOST as string | undefined) ?? 'https://huggingface.co';

/** The model host for this visit: `?host=` (absolute, or a path on this site) or the default. */
export function modelHostFor(location: { search: string; origin: string }): string {
  const param = new URLSearchParams(location.search).get('host');
  if (!param) return DEFAULT_MODEL_HOST;
  const url = new URL(param, location.origin + '/');
  return url.href.replace(/\/+$/, '');
}

/** The models the picker offers, with their sizes as the hub ships them (safetensors, F32). */
export const PRESET_MODELS = [
  { repo: 'distilgpt2', label: 'distilgpt2', params: 82_000_000 },
  { repo: 'gpt2', label: 'gpt2', params: 124_000_000 },
  { repo: 'gpt2-medium', label: 'gpt2-medium', params: 355_000_000 },
] as const;
