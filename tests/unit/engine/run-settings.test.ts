import { describe, expect, it } from 'vitest';
import { trainerSettings, UNTIL_IMPROVING_EPOCHS } from '../../../src/engine/run-settings';
import { defaultSettings } from '../../../src/engine/training';

const page = () => defaultSettings(null, 'bot');

describe("the page's time budget as the trainer's settings", () => {
  it('defaults: the recipe, early stopping after 2 validations without improvement', () => {
    const t = trainerSettings(page(), 'full');
    expect(t.budgetMs).toBe(0);
    expect(t.patience).toBe(2);
    expect(t.epochs).toBe(page().epochs);
  });
  it('minutes become working milliseconds; "until it stops improving" spans many epochs', () => {
    expect(trainerSettings({ ...page(), budgetMinutes: 10 }, 'full').budgetMs).toBe(600_000);
    const until = trainerSettings({ ...page(), budgetMinutes: -1 }, 'full');
    expect(until.budgetMs).toBe(0);
    expect(until.epochs).toBe(UNTIL_IMPROVING_EPOCHS);
  });
  it('refuses what cannot run, with a sentence for the page', () => {
    expect(() => trainerSettings({ ...page(), budgetMinutes: -1, patience: 0 }, 'full')).toThrow(/needs early stopping/);
    expect(() => trainerSettings({ ...page(), budgetMinutes: -5 }, 'full')).toThrow(/number of minutes/);
  });
});
