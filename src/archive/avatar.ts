/** The profile picture an export carries (X: data/profile_media/; Mastodon: avatar.* at the root). */

/** A larger picture is left unread rather than held in memory (X's are ~100 KB, 400×400). */
export const MAX_AVATAR_BYTES = 16 * 1024 * 1024;

const IMAGE_TYPES: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif', bmp: 'image/bmp',
};

/** The MIME type of an image by its file name's extension (null for anything else). */
export function imageMimeType(fileName: string): string | null {
  return IMAGE_TYPES[fileName.split('.').pop()?.toLowerCase() ?? ''] ?? null;
}
