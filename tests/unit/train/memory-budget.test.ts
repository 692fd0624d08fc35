import { describe, expect, it } from 'vitest';
import { chooseMode, memoryBudget, memoryReports, PHONE_TAB_BYTES, WASM_HEAP_LIMIT } from '../../../src/train/memory';

const GiB = 1024 ** 3;

describe('memory the training rule plans with, in every browser', () => {
  it('reads the Chromium-only figures where they exist and nothing where they do not', () => {
    expect(memoryReports({ navigator: { deviceMemory: 8 }, performance: { memory: { jsHeapSizeLimit: 4 * GiB } } })).toEqual({ deviceMemoryGiB: 8, jsHeapSizeLimit: 4 * GiB });
    // Firefox and Safari: no deviceMemory, no performance.memory.
    expect(memoryReports({ navigator: {}, performance: {} })).toEqual({ deviceMemoryGiB: undefined, jsHeapSizeLimit: undefined });
    expect(memoryReports({})).toEqual({ deviceMemoryGiB: undefined, jsHeapSizeLimit: undefined });
    expect(memoryReports({ navigator: { deviceMemory: 'lots' } })).toEqual({ deviceMemoryGiB: undefined, jsHeapSizeLimit: undefined });
  });

  it('gives wasm half the reported device memory, at most its 4 GiB heap', () => {
    expect(memoryBudget('wasm', { deviceMemoryGiB: 8 })).toEqual({ bytes: WASM_HEAP_LIMIT, assumed: false });
    expect(memoryBudget('wasm', { deviceMemoryGiB: 4 })).toEqual({ bytes: 2 * GiB, assumed: false });
    expect(memoryBudget('cpu', { jsHeapSizeLimit: 3 * GiB })).toEqual({ bytes: 3 * GiB, assumed: false });
    expect(memoryBudget('webgpu', { deviceMemoryGiB: 8 })).toEqual({ bytes: null, assumed: false });
  });

  it('assumes a phone-sized budget when the browser reports no figure, and says so', () => {
    const budget = memoryBudget('wasm', {});
    expect(budget).toEqual({ bytes: PHONE_TAB_BYTES, assumed: true });
    // distilgpt2 (82M parameters, ~1.3 GiB of weights, gradients and AdamW state) does not fit there.
    const choice = chooseMode(81_912_576, budget.bytes, 0, false, budget.assumed);
    expect(choice.mode).toBe('lora');
    expect(choice.reason).toContain("this browser does not report the device's memory, so the page assumes 1536 MB (what a phone or tablet gives one tab)");
    // A desktop Chromium reporting 8 GB trains it fully.
    expect(chooseMode(81_912_576, memoryBudget('wasm', { deviceMemoryGiB: 8 }).bytes).mode).toBe('full');
  });
});
