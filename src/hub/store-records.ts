/** What the store keeps: one record type per IndexedDB object store (see store.ts). */

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
 * before the Blob format; still read, and rewritten by `migrateFiles`).
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
