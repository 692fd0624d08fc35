/** What the page's panels share: the engine, the state they all read, and change notifications. */
import type { ArchiveSummary, BackendReport, ModelInfo, TrainingDataInfo } from '../engine/api';
import type { EngineRemote } from './engine-client';

export interface AppState {
  backend: BackendReport | null;
  model: ModelInfo | null;
  data: TrainingDataInfo | null;
  archives: ArchiveSummary[];
  training: boolean;
  /** Training is paused: generation may use the current weights. */
  paused: boolean;
  generating: boolean;
  /** The person gave input (files, a click) this visit: the page must not reload under them. */
  touched: boolean;
}

export type AppEvent = 'model' | 'data' | 'library' | 'busy' | 'engine';

export class App {
  readonly state: AppState = { backend: null, model: null, data: null, archives: [], training: false, paused: false, generating: false, touched: false };
  private readonly listeners = new Map<AppEvent, Array<() => void>>();

  constructor(private readonly getEngine: () => EngineRemote) {}

  get engine(): EngineRemote {
    return this.getEngine();
  }

  on(event: AppEvent, fn: () => void): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
  }

  /**
   * Resolves once the engine has started (at once when it runs). Input given before that (files
   * chosen in the page's first second) waits here instead of being lost; `backend` is null until
   * the engine is ready and again while it restarts.
   */
  whenReady(): Promise<void> {
    this.state.touched = true;
    if (this.state.backend) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!this.state.backend) return;
        this.listeners.set('engine', (this.listeners.get('engine') ?? []).filter((f) => f !== check));
        resolve();
      };
      this.on('engine', check);
    });
  }

  get ready(): boolean {
    return this.state.backend !== null;
  }

  emit(event: AppEvent): void {
    for (const fn of this.listeners.get(event) ?? []) fn();
  }
}
