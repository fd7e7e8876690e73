/** What the bot's process costs in `npm run bench:fleet`: CPU per window (process.cpuUsage deltas, user + system,
 *  over the wall time between two marks, as a percentage of one core) and the largest RSS sampled. Marks are taken
 *  by timers at the windows' edges; a mark records when it actually ran, so a late timer widens its window instead of
 *  skewing the figure. */

/** CPU and wall time at one moment. */
interface Mark {
  readonly at: number;
  readonly cpuMicros: number;
}

/** Samples this process's usage from `start()` to `stop()`. */
export class ProcessUsage {
  private readonly marks = new Map<string, Mark>();
  private readonly timers: NodeJS.Timeout[] = [];
  private peak: NodeJS.MemoryUsage | undefined;
  private rssTimer: NodeJS.Timeout | undefined;

  /** Starts sampling RSS every `rssEveryMs`. */
  start(rssEveryMs = 250): void {
    this.sampleRss();
    this.rssTimer = setInterval(() => this.sampleRss(), rssEveryMs);
    this.rssTimer.unref();
  }

  /** Takes mark `name` now. */
  mark(name: string): void {
    const { user, system } = process.cpuUsage();
    this.marks.set(name, { at: Date.now(), cpuMicros: user + system });
    this.sampleRss();
  }

  /** Takes mark `name` at epoch ms `at` (now when that has passed). */
  markAt(name: string, at: number): void {
    const t = setTimeout(() => this.mark(name), Math.max(0, at - Date.now()));
    t.unref();
    this.timers.push(t);
  }

  /** Percent of one core used between marks `from` and `to`; NaN when either was not taken. */
  cpuPct(from: string, to: string): number {
    const a = this.marks.get(from);
    const b = this.marks.get(to);
    if (!a || !b || b.at <= a.at) return Number.NaN;
    return ((b.cpuMicros - a.cpuMicros) / 1000 / (b.at - a.at)) * 100;
  }

  /** When mark `name` was taken (epoch ms); NaN when it was not. */
  at(name: string): number {
    return this.marks.get(name)?.at ?? Number.NaN;
  }

  /** The largest resident set size sampled, in MB. */
  rssMb(): number {
    return (this.peak?.rss ?? 0) / (1024 * 1024);
  }

  /** The sample of the largest RSS, each part in MB (heap used and total, external, array buffers): what to look
   *  at when RSS is high. */
  peakMb(): Record<string, number> {
    const mb = (v: number | undefined): number => Math.round((v ?? 0) / (1024 * 1024));
    const p = this.peak;
    return { rss: mb(p?.rss), heapUsed: mb(p?.heapUsed), heapTotal: mb(p?.heapTotal), external: mb(p?.external), arrayBuffers: mb(p?.arrayBuffers) };
  }

  /** Stops the timers. */
  stop(): void {
    clearInterval(this.rssTimer);
    for (const t of this.timers) clearTimeout(t);
  }

  private sampleRss(): void {
    const rss = process.memoryUsage.rss();
    // The full breakdown only when RSS grows: process.memoryUsage() walks the heap's spaces.
    if (rss > (this.peak?.rss ?? 0)) this.peak = { ...process.memoryUsage(), rss };
  }
}
