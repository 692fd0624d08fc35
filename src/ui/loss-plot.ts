/**
 * The live loss plot: train loss per step and validation loss at each evaluation (uPlot).
 * uPlot is optional: it is loaded lazily, on the first point, so a browser that rejects it (it
 * builds `Intl.NumberFormat(navigator.language)` as its module loads, and WebKitGTK under a POSIX
 * locale says "C") loses the plot, never the page. The locale is made safe before it loads.
 */
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { safeNavigatorLanguage } from '../locale';

let library: Promise<typeof uPlot> | null = null;

/** The uPlot class, loaded once (a failed load is tried again by the next plot). */
function loadUPlot(): Promise<typeof uPlot> {
  library ??= (async () => {
    safeNavigatorLanguage();
    return (await import('uplot')).default;
  })();
  library.catch(() => (library = null));
  return library;
}

export class LossPlot {
  private readonly steps: number[] = [];
  private readonly train: Array<number | null> = [];
  private readonly val: Array<number | null> = [];
  private plot: uPlot | null = null;
  private loading = false;

  constructor(private readonly el: HTMLElement) {
    // The plot follows its box (a phone turned, a narrow window): never wider than the page.
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: 220 })).observe(el);
  }

  private width(): number {
    return Math.max(200, this.el.clientWidth || 600);
  }

  reset(): void {
    this.steps.length = this.train.length = this.val.length = 0;
    this.plot?.destroy();
    this.plot = null;
    this.el.dataset.points = '0';
  }

  add(step: number, train: number | null, val: number | null): void {
    const last = this.steps.length - 1;
    if (last >= 0 && this.steps[last] === step) {
      // Same step: a validation figure arriving after the train loss for that step.
      if (train !== null) this.train[last] = train;
      if (val !== null) this.val[last] = val;
    } else {
      this.steps.push(step);
      this.train.push(train);
      this.val.push(val);
    }
    this.el.dataset.points = String(this.points);
    this.draw();
  }

  /** How many points the plot holds (the e2e tests watch it grow). */
  get points(): number {
    return this.steps.length;
  }

  private data(): uPlot.AlignedData {
    return [this.steps, this.train, this.val];
  }

  private draw(): void {
    if (this.plot) return this.plot.setData(this.data());
    if (this.loading) return; // drawn with every point so far once uPlot is here
    this.loading = true;
    loadUPlot()
      .then((UPlot) => {
        this.el.querySelector('.plot-unavailable')?.remove();
        if (this.plot || this.points === 0) return;
        this.plot = new UPlot(
          {
            width: this.width(),
            height: 220,
            scales: { x: { time: false } },
            axes: [{ label: 'step' }, { label: 'loss' }],
            series: [{}, { label: 'train', stroke: '#1d9bf0', spanGaps: true }, { label: 'validation', stroke: '#f91880', spanGaps: true, points: { size: 6 } }],
          },
          this.data(),
          this.el,
        );
      })
      .catch((err: unknown) => {
        if (this.el.querySelector('.plot-unavailable')) return;
        const note = document.createElement('p');
        note.className = 'plot-unavailable';
        note.textContent = `The loss plot cannot be drawn in this browser (${(err as Error)?.message ?? String(err)}); the figures above still follow the training.`;
        this.el.append(note);
      })
      .finally(() => (this.loading = false));
  }
}
