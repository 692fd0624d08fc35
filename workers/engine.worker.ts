/**
 * The engine worker: the only place tfjs runs. Exposes `Engine` (src/engine/api.ts) through comlink.
 */
import * as Comlink from 'comlink';
import { EngineImpl } from '../src/engine/engine';

Comlink.expose(new EngineImpl());
