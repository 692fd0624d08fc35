/**
 * The engine: everything the page asks of the worker, behind the one `Engine` interface.
 * Owns the tfjs backend, the archives, the current model, training and generation.
 */
import type {
  AddArchiveResult,
  ArchiveInput,
  ArchiveSummary,
  BackendReport,
  Engine,
  EngineInit,
  TrainingDataInfo,
} from './api';
import { ArchiveSet } from './archives';
import { pickBackend } from './backend';

export class EngineImpl implements Partial<Engine> {
  private backend: BackendReport | null = null;
  private modelHost = 'https://huggingface.co';
  private readonly archives = new ArchiveSet();

  async init(opts: EngineInit): Promise<BackendReport> {
    this.modelHost = opts.modelHost;
    this.backend = await pickBackend(opts.backend);
    return this.backend;
  }

  async addArchive(input: ArchiveInput): Promise<AddArchiveResult> {
    const { item, duplicate } = await this.archives.add(input);
    return { archive: item.summary, duplicate, data: this.archives.info() as TrainingDataInfo };
  }

  async removeArchive(id: string): Promise<TrainingDataInfo> {
    this.archives.remove(id);
    return this.dataInfo();
  }

  async renameArchive(id: string, username: string, displayName: string): Promise<TrainingDataInfo> {
    this.archives.rename(id, username, displayName);
    return this.dataInfo();
  }

  async forgetArchives(): Promise<TrainingDataInfo> {
    this.archives.clear();
    return this.dataInfo();
  }

  async listArchives(): Promise<ArchiveSummary[]> {
    return this.archives.summaries();
  }

  async trainingData(): Promise<TrainingDataInfo | null> {
    return this.archives.info();
  }

  private dataInfo(): TrainingDataInfo {
    return this.archives.info() ?? { botName: '', usernames: [], displayNames: [], chars: 0, level: 'empty', message: 'No archive yet.' };
  }
}
