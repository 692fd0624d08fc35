/** The people's profile pictures in the page: object URLs of Blobs (the CSP allows img blob:), one per archive, reused. */
import type { ArchiveSummary } from '../engine/api';
import { h } from './dom';

const urls = new Map<string, { bytes: Uint8Array; url: string }>();

function avatarUrl(a: ArchiveSummary): string | null {
  if (!a.avatar) return null;
  const kept = urls.get(a.id);
  if (kept && kept.bytes.byteLength === a.avatar.bytes.byteLength) return kept.url;
  if (kept) URL.revokeObjectURL(kept.url);
  const url = URL.createObjectURL(new Blob([a.avatar.bytes as Uint8Array<ArrayBuffer>], { type: a.avatar.mimeType }));
  urls.set(a.id, { bytes: a.avatar.bytes, url });
  return url;
}

/** The archive's avatar as an <img>, or null when the archive has none. */
export function avatarImage(a: ArchiveSummary, size = 48): HTMLImageElement | null {
  const url = avatarUrl(a);
  if (!url) return null;
  const img = h('img', { class: 'person-avatar', src: url, alt: `profile picture of ${a.username ? `@${a.username}` : a.fileName}`, width: String(size), height: String(size) });
  return img;
}

/** Frees the URLs of archives no longer shown. */
export function forgetAvatars(keep: ArchiveSummary[]): void {
  const ids = new Set(keep.map((a) => a.id));
  for (const [id, { url }] of urls) {
    if (!ids.has(id)) {
      URL.revokeObjectURL(url);
      urls.delete(id);
    }
  }
}
