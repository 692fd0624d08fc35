/** The ArchiveError a read must fail with, after checking its message is a sentence for people. */
import { expect } from 'vitest';
import { ArchiveError } from '../../src/archive/index';

export async function archiveFailure(promise: Promise<unknown>): Promise<ArchiveError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ArchiveError);
    const e = error as ArchiveError;
    // Messages are sentences for people: no stack-trace words, ending with a full stop.
    expect(e.message).toMatch(/\.$/);
    expect(e.message).not.toMatch(/undefined|null|\[object/);
    return e;
  }
  throw new Error('expected an ArchiveError, but the archive was read');
}
