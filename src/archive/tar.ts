/**
 * A streaming reader for .tar.gz files (the older Mastodon archives): the bytes flow through
 * DecompressionStream('gzip') and modern-tar's decoder; only the entries asked for are buffered,
 * every other entry's body is discarded as it passes (media can be gigabytes), and reading stops
 * as soon as the caller has what it needs. Every failure comes out as an ArchiveError.
 */
import { createTarDecoder, type ParsedTarEntry } from 'modern-tar';
import { ArchiveError } from './errors';

/** The two bytes every gzip stream starts with. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export interface TarReadOptions {
  /** Whether to buffer this entry's body; may throw an ArchiveError (e.g. an entry too large). */
  want(path: string, size: number): boolean;
  /** Called after each buffered entry: true stops reading the rest of the archive. */
  enough?(bodies: Map<string, Uint8Array>): boolean;
}

export interface TarReadResult {
  /** Every file entry's path seen (the whole archive's, unless reading stopped early). */
  paths: string[];
  /** The bodies of the entries wanted, by path, in archive order. */
  bodies: Map<string, Uint8Array>;
  /** Bytes of entry bodies buffered (the sum of `bodies`' sizes). */
  bytesKept: number;
}

function damaged(error: unknown): ArchiveError {
  if (error instanceof ArchiveError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const what = /tar/i.test(message)
    ? 'its tar layout is damaged'
    : /end of|truncat|premature/i.test(message)
      ? 'it ends too early'
      : 'its gzip compression is damaged';
  return new ArchiveError(
    'corrupt',
    `This .tar.gz file cannot be read: ${what}, as happens when a download is cut short. Download the archive again.`,
    { cause: error },
  );
}

function streamOf(input: Blob | Uint8Array): ReadableStream<Uint8Array> {
  if (input instanceof Uint8Array) {
    return new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(input);
        controller.close();
      },
    });
  }
  return input.stream() as ReadableStream<Uint8Array>;
}

/**
 * Lets an unwanted body pass: its chunks are dropped as they come. (Not `body.cancel()`: in
 * modern-tar 0.8.6, cancelling a body whose last chunk is queued but unread detaches the *next*
 * entry's body, which then never receives its data.)
 */
async function skipBody(entry: ParsedTarEntry): Promise<void> {
  const reader = entry.body.getReader();
  for (;;) if ((await reader.read()).done) return;
}

async function readBody(entry: ParsedTarEntry): Promise<Uint8Array> {
  const reader = entry.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Streams a .tar.gz, buffering only the entries `want` names. */
export async function readTarGz(input: Blob | Uint8Array, options: TarReadOptions): Promise<TarReadResult> {
  // Stopping early must stop the pipes too: the tar decoder's readable and writable are separate
  // streams, so cancelling what it yields would leave the file being read and decompressed.
  const stop = new AbortController();
  const entries = streamOf(input)
    .pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>, { signal: stop.signal })
    .pipeThrough(createTarDecoder({ strict: true }), { signal: stop.signal });
  const reader = entries.getReader();
  const paths: string[] = [];
  const bodies = new Map<string, Uint8Array>();
  let bytesKept = 0;
  try {
    for (;;) {
      const { done, value: entry } = await reader.read();
      if (done) break;
      const { name, size, type } = entry.header;
      const isFile = type === undefined || type === 'file';
      if (isFile) paths.push(name);
      if (!isFile || bodies.has(name) || !options.want(name, size)) {
        await skipBody(entry);
        continue;
      }
      const body = await readBody(entry);
      bodies.set(name, body);
      bytesKept += body.length;
      if (options.enough?.(bodies)) {
        stop.abort();
        // Not awaited: a pipe stopped at a pending write can take its time settling; nothing here needs it to.
        reader.cancel().catch(() => {});
        break;
      }
    }
  } catch (error) {
    stop.abort();
    reader.cancel(error).catch(() => {});
    throw damaged(error);
  }
  return { paths, bodies, bytesKept };
}
