/** What the store keeps (one record type per IndexedDB object store) and the interface it keeps it behind (see store.ts). */

export interface StoredFile {
  repo: string;
  revision: string;
  file: string;
  bytes: Uint8Array;
  size: number;
  /** lowercase hex SHA-256 of bytes */
  sha256: string;
  storedAt: number;
}

/**
 * A row of the `files` store: the bytes in `blob` (current format) or in `bytes` (rows written
 * before the Blob format, rewritten once by `migrateFiles`; and every row where the browser
 * refuses Blobs).
 */
export interface StoredFileRow extends Omit<StoredFile, 'bytes'> {
  blob?: Blob;
  bytes?: Uint8Array;
}


export interface PartialChunk {
  repo: string;
  revision: string;
  file: string;
  offset: number;
  bytes: Uint8Array;
  /** the ETag of the response these bytes came from, to check a resume continues the same file */
  etag: string | null;
  total: number | null;
}

export interface PartialDownload {
  chunks: Uint8Array[];
  /** bytes held, contiguous from 0 */
  loaded: number;
  etag: string | null;
  total: number | null;
}

export type ModelKind = 'base' | 'finetuned';

export interface ModelRecord {
  id: string;
  name: string;
  kind: ModelKind;
  /** the hub repo the weights started from (the base itself for kind 'base') */
  baseRepo: string;
  revision: string;
  /** the repo key its files are stored under in `files`: baseRepo for a base, `local/<id>` for a fine-tune */
  fileRepo: string;
  files: string[];
  sizeBytes: number;
  createdAt: number;
  complete: boolean;
  archiveSummary?: unknown;
  finalValLoss?: number;
  trainingSettings?: unknown;
  losses?: unknown;
  /**
   * A LoRA bot: the id of the base model record whose weights it adapts. Its own `files` are then
   * only the PEFT adapter (adapter_config.json, adapter_model.safetensors); the base is shared.
   */
  adapterOf?: string;
}

/** What a caller gives putModel; the store fills in the rest. */
export type ModelInput = Omit<ModelRecord, 'complete' | 'sizeBytes' | 'createdAt' | 'fileRepo'> & {
  fileRepo?: string;
  sizeBytes?: number;
  createdAt?: number;
};

export interface CheckpointRecord {
  id: string;
  meta: unknown;
  tensors: Record<string, Float32Array>;
  savedAt: number;
}

export interface ArchiveRecord {
  id: string;
  label?: string;
  summary: unknown;
  tweets: unknown[];
  /** ISO date of each kept tweet, parallel to tweets (absent in records from before dates were kept). */
  tweetDates?: unknown[];
  savedAt: number;
}

export interface StorageEstimate {
  usage: number;
  quota: number | null;
  /** 'browser': navigator.storage.estimate(); 'store': the bytes this store holds, counted by it */
  source: 'browser' | 'store';
}

/** The store: IndexedDB, bytes where Blobs are refused, or memory (store.ts). */
export interface Store {
  /** false for the in-memory fallback: nothing new survives the page */
  readonly persistent: boolean;
  /** why the store is not persistent, or how it keeps files where Blobs are refused, in words */
  readonly reason?: string;

  putFile(repo: string, revision: string, file: string, bytes: Uint8Array): Promise<{ size: number; sha256: string }>;
  getFile(repo: string, revision: string, file: string): Promise<StoredFile | undefined>;
  hasFiles(repo: string, revision: string, names: string[]): Promise<boolean>;
  /**
   * Rewrite the named files of repo@revision still stored in the pre-Blob format (a Uint8Array
   * value) as Blobs, which read several times faster; returns how many were rewritten.
   */
  migrateFiles(repo: string, revision: string, names: string[]): Promise<number>;
  /** Delete the named files, or every file of repo@revision when no names are given. */
  deleteFiles(repo: string, revision: string, names?: string[]): Promise<void>;

  putPartialChunk(chunk: PartialChunk): Promise<void>;
  getPartial(repo: string, revision: string, file: string): Promise<PartialDownload | undefined>;
  clearPartial(repo: string, revision: string, file: string): Promise<void>;

  /** Store `files` (if given) under the model's fileRepo, then the record as complete. */
  putModel(model: ModelInput, files?: Record<string, Uint8Array>): Promise<ModelRecord>;
  getModel(id: string): Promise<ModelRecord | undefined>;
  /** complete models only, newest first */
  listModels(): Promise<ModelRecord[]>;
  getModelFiles(id: string): Promise<Record<string, Uint8Array>>;
  renameModel(id: string, name: string): Promise<void>;
  /** Remove the record and its files (and any partial downloads of them). */
  deleteModel(id: string): Promise<void>;

  putCheckpoint(id: string, meta: unknown, tensors: Record<string, Float32Array>): Promise<void>;
  getCheckpoint(id: string): Promise<CheckpointRecord | undefined>;
  deleteCheckpoint(id: string): Promise<void>;

  putArchive(archive: Omit<ArchiveRecord, 'savedAt'> & { savedAt?: number }): Promise<void>;
  /** The kept archives in the order they were added (savedAt, oldest first): the merge depends on it. */
  getArchives(): Promise<ArchiveRecord[]>;
  /** Delete one kept archive, or all of them when no id is given. */
  deleteArchives(id?: string): Promise<void>;

  estimate(): Promise<StorageEstimate>;
  /** Ask the browser not to evict this origin's data; false where unsupported (e.g. in a worker). */
  persist(): Promise<boolean>;
  close(): void;
}
