/** The live loss plot: train loss per step and validation loss at each evaluation (uPlot). */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export class LossPlot {
  private readonly steps: number[] = [];
  private readonly train: Array<number | null> = [];
  private readonly val: Array<number | null> = [];
  private plot: uPlot | null = null;

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
    this.draw();
  }

  /** How many points the plot holds (the e2e tests watch it grow). */
  get points(): number {
    return this.steps.length;
  }

  private draw(): void {
    const data: uPlot.AlignedData = [this.steps, this.train, this.val];
    if (!this.plot) {
      this.plot = new uPlot(
        {
          width: this.width(),
          height: 220,
          scales: { x: { time: false } },
          axes: [{ label: 'step' }, { label: 'loss' }],
          series: [{}, { label: 'train', stroke: '#1d9bf0', spanGaps: true }, { label: 'validation', stroke: '#f91880', spanGaps: true, points: { size: 6 } }],
        },
        data,
        this.el,
      );
    } else this.plot.setData(data);
    this.el.dataset.points = String(this.points);
  }
}
