/** What the page's panels share: the engine, the state they all read, and change notifications. */
import type { ArchiveSummary, BackendReport, ModelInfo, TrainingDataInfo } from '../engine/api';
import type { EngineRemote } from './engine-client';

export interface AppState {
  backend: BackendReport | null;
  model: ModelInfo | null;
  data: TrainingDataInfo | null;
  archives: ArchiveSummary[];
  training: boolean;
  generating: boolean;
}

export type AppEvent = 'model' | 'data' | 'library' | 'busy' | 'engine';

export class App {
  readonly state: AppState = { backend: null, model: null, data: null, archives: [], training: false, generating: false };
  private readonly listeners = new Map<AppEvent, Array<() => void>>();

  constructor(private readonly getEngine: () => EngineRemote) {}

  get engine(): EngineRemote {
    return this.getEngine();
  }

  on(event: AppEvent, fn: () => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
  }

  emit(event: AppEvent): void {
    for (const fn of this.listeners.get(event) ?? []) fn();
  }
}
