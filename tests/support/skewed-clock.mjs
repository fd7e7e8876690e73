// Preloaded into a bot process (`node --import`) to play a machine whose clock is wrong: Date.now() and new Date()
// run AUTOMINT_TEST_CLOCK_SKEW_MS ahead (negative: behind). Timers and performance.now() are untouched, as on a real
// machine whose wall clock is set wrong. Test support only; the bot has no such switch.
const skew = Number(process.env.AUTOMINT_TEST_CLOCK_SKEW_MS ?? '0');
if (Number.isFinite(skew) && skew !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + skew);
      else super(...args);
    }
    static now() {
      return realNow() + skew;
    }
  }
  globalThis.Date = SkewedDate;
}
