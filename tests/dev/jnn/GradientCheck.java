package dev.jnn;

import dev.jnn.loss.Loss;
import dev.jnn.nn.Layer;
import dev.jnn.nn.Parameter;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The one finite-difference gradient checker of the test suite (Caffe's GradientChecker style),
 * used by every layer's and every loss's test.
 *
 * <p><b>Layers.</b> The scalar objective is a fixed random projection of the output,
 * {@code L = sum_i r_i y_i} with r ~ U(-1, 1) drawn from the seed, summed in double. Its analytic
 * gradients come from one {@code backward(r)}: the input gradient and every parameter gradient.
 * Each input element and each parameter element is then perturbed by +eps and -eps, the forward
 * rerun, and the central difference {@code (L+ - L-) / (2 eps)} (double arithmetic) compared with
 * the analytic value: {@code |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|)}.
 * Input elements within {@code kinkRange} of a kink (ReLU's 0) are skipped, since a difference
 * that straddles a kink is not the derivative (Caffe's kink / kink_range).
 *
 * <p><b>Losses.</b> The objective is the loss itself (already a scalar); its analytic gradient is
 * {@code loss.backward()}, checked against central differences of every prediction element.
 *
 * <p>Forwards run in float32, so eps cannot be tiny: with outputs O(1) the rounding error of the
 * objective is ~1e-7 |L|, i.e. ~1e-7 |L| / eps in the difference, while the truncation error is
 * ~eps^2 |L'''| / 6. The defaults ({@link Tolerances#GRADCHECK_EPS} and friends) balance the two.
 * {@code beforeForward} runs before every forward (e.g. to reseed dropout so every forward draws
 * the same mask).
 *
 * <pre>{@code
 * GradientCheck.layer(new Tanh(), x, GradientCheck.Options.defaults()).assertPassed();
 * GradientCheck.loss(new BceLoss(), p, t, GradientCheck.Options.defaults()).assertPassed();
 * }</pre>
 */
public final class GradientCheck {
  private GradientCheck() {}

  /** Step, tolerances, projection seed, kink handling and a hook run before each forward. */
  public record Options(double eps, double rtol, double atol, long seed, double kink, double kinkRange, Runnable beforeForward) {
    public static Options defaults() {
      return new Options(Tolerances.GRADCHECK_EPS, Tolerances.GRADCHECK_RTOL, Tolerances.GRADCHECK_ATOL, 1, 0, 0, () -> {});
    }

    public Options withTolerance(double rtol, double atol) { return new Options(eps, rtol, atol, seed, kink, kinkRange, beforeForward); }
    public Options withEps(double e) { return new Options(e, rtol, atol, seed, kink, kinkRange, beforeForward); }
    /** Skip input elements with |x - kink| < range. */
    public Options withKink(double k, double range) { return new Options(eps, rtol, atol, seed, k, range, beforeForward); }
    public Options withBeforeForward(Runnable r) { return new Options(eps, rtol, atol, seed, kink, kinkRange, r); }
  }

  /** One element whose analytic and numeric gradients disagree. */
  public record Mismatch(String what, int index, double analytic, double numeric) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%s[%d]: analytic %.7g vs numeric %.7g", what, index, analytic, numeric);
    }
  }

  /** What a check found; {@link #assertPassed()} throws with the first mismatches. */
  public record Report(String subject, Options options, int checked, int skipped, double maxAbsError, List<Mismatch> mismatches) {
    public boolean passed() { return mismatches.isEmpty() && checked > 0; }

    public void assertPassed() {
      if (checked == 0) throw new AssertionError(subject + ": gradient check compared no element");
      if (!mismatches.isEmpty()) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s: %d of %d gradient elements off (eps %.1e, rtol %.1e, atol %.1e):",
            subject, mismatches.size(), checked, options.eps(), options.rtol(), options.atol()));
        for (int i = 0; i < Math.min(10, mismatches.size()); i++) sb.append("\n  ").append(mismatches.get(i));
        throw new AssertionError(sb.toString());
      }
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%s: %d elements checked, %d skipped, max |error| %.3g, %d mismatches", subject, checked, skipped,
          maxAbsError, mismatches.size());
    }
  }

  /** Checks the input gradient and every parameter gradient of a layer at input x (on the layer's device). */
  public static Report layer(Layer layer, Tensor x, Options o) {
    o.beforeForward().run();
    Tensor y0 = layer.forward(x, true);
    double[] r = new double[y0.size()];
    SplittableRandom rng = new SplittableRandom(o.seed());
    float[] rf = new float[r.length];
    for (int i = 0; i < r.length; i++) {
      r[i] = 2 * rng.nextDouble() - 1;
      rf[i] = (float) r[i];
      r[i] = rf[i];   // the float the backward sees is the exact projection used in double
    }
    Tensor dy = Tensor.of(layer.device(), rf, y0.shape());
    boolean needInput = layer.inputGradRequired();
    Tensor dx = layer.backward(dy);
    double[] analyticX = needInput ? toDouble(dx) : null;
    List<Parameter> params = layer.parameters();
    List<double[]> analyticP = new ArrayList<>();
    for (Parameter p : params) analyticP.add(toDouble(p.grad()));

    Acc acc = new Acc(layer.name(), o);
    if (needInput) {
      float[] xd = x.data();
      for (int i = 0; i < x.size(); i++) {
        int k = x.offset() + i;
        if (o.kinkRange() > 0 && Math.abs(xd[k] - o.kink()) < o.kinkRange()) {
          acc.skipped++;
          continue;
        }
        acc.compare("input", i, analyticX[i], central(xd, k, o, () -> project(layer, x, r, o)));
      }
    }
    for (int p = 0; p < params.size(); p++) {
      Tensor v = params.get(p).value();
      float[] vd = v.data();
      double[] a = analyticP.get(p);
      for (int i = 0; i < v.size(); i++)
        acc.compare(params.get(p).name(), i, a[i], central(vd, v.offset() + i, o, () -> project(layer, x, r, o)));
    }
    return acc.report();
  }

  /**
   * Checks a layer of several inputs (a merge, a multi-input graph): the gradient of every input
   * (from {@code backwardAll}) and of every parameter, at inputs xs (host tensors).
   */
  public static Report layer(Layer layer, Tensor[] xs, Options o) {
    o.beforeForward().run();
    Tensor y0 = layer.forward(xs, true);
    double[] r = new double[y0.size()];
    SplittableRandom rng = new SplittableRandom(o.seed());
    float[] rf = new float[r.length];
    for (int i = 0; i < r.length; i++) {
      rf[i] = (float) (2 * rng.nextDouble() - 1);
      r[i] = rf[i];
    }
    Tensor[] dxs = layer.backwardAll(Tensor.of(layer.device(), rf, y0.shape()));
    List<double[]> analyticX = new ArrayList<>();
    for (int j = 0; j < xs.length; j++) analyticX.add(dxs[j] == null ? null : toDouble(dxs[j]));
    List<Parameter> params = layer.parameters();
    List<double[]> analyticP = new ArrayList<>();
    for (Parameter p : params) analyticP.add(toDouble(p.grad()));
    Objective f = () -> {
      o.beforeForward().run();
      Tensor y = layer.forward(xs, true);
      double sum = 0;
      for (int i = 0; i < r.length; i++) sum += r[i] * y.at(i);
      return sum;
    };
    Acc acc = new Acc(layer.name(), o);
    for (int j = 0; j < xs.length; j++) {
      if (analyticX.get(j) == null) continue;
      float[] xd = xs[j].data();
      for (int i = 0; i < xs[j].size(); i++) {
        int k = xs[j].offset() + i;
        if (o.kinkRange() > 0 && Math.abs(xd[k] - o.kink()) < o.kinkRange()) {
          acc.skipped++;
          continue;
        }
        acc.compare("input " + j, i, analyticX.get(j)[i], central(xd, k, o, f));
      }
    }
    for (int p = 0; p < params.size(); p++) {
      Tensor v = params.get(p).value();
      float[] vd = v.data();
      double[] a = analyticP.get(p);
      for (int i = 0; i < v.size(); i++) acc.compare(params.get(p).name(), i, a[i], central(vd, v.offset() + i, o, f));
    }
    return acc.report();
  }

  /** Checks loss.backward() against central differences of the loss in every prediction element. */
  public static Report loss(Loss loss, Tensor pred, Tensor target, Options o) {
    loss.forward(pred, target);
    double[] analytic = toDouble(loss.backward());
    Acc acc = new Acc(loss.name(), o);
    float[] pd = pred.data();
    for (int i = 0; i < pred.size(); i++) acc.compare("prediction", i, analytic[i], central(pd, pred.offset() + i, o, () -> loss.forward(pred, target)));
    return acc.report();
  }

  private interface Objective { double value(); }

  /** (f(v + eps) - f(v - eps)) / (2 eps) for element k of data, restoring it afterwards; the step actually taken in float is used. */
  private static double central(float[] data, int k, Options o, Objective f) {
    float v = data[k];
    float up = (float) (v + o.eps()), down = (float) (v - o.eps());
    data[k] = up;
    double fp = f.value();
    data[k] = down;
    double fm = f.value();
    data[k] = v;
    return (fp - fm) / ((double) up - (double) down);
  }

  private static double project(Layer layer, Tensor x, double[] r, Options o) {
    o.beforeForward().run();
    Tensor y = layer.forward(x, true);
    float[] d = y.data();
    double s = 0;
    for (int i = 0; i < r.length; i++) s += r[i] * d[y.offset() + i];
    return s;
  }

  private static double[] toDouble(Tensor t) {
    double[] r = new double[t.size()];
    for (int i = 0; i < r.length; i++) r[i] = t.at(i);
    return r;
  }

  private static final class Acc {
    final String subject;
    final Options o;
    final List<Mismatch> bad = new ArrayList<>();
    int checked, skipped;
    double maxAbs;

    Acc(String subject, Options o) { this.subject = subject; this.o = o; }

    void compare(String what, int i, double a, double n) {
      checked++;
      double err = Math.abs(a - n);
      if (!(err <= maxAbs)) maxAbs = err;
      if (!(err <= o.atol() + o.rtol() * Math.max(Math.abs(a), Math.abs(n)))) bad.add(new Mismatch(what, i, a, n));
    }

    Report report() { return new Report(subject, o, checked, skipped, maxAbs, List.copyOf(bad)); }
  }
}
