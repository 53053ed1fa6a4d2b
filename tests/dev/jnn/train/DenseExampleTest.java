package dev.jnn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.Tolerances;
import dev.jnn.backend.Backends;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The dense example: its data set (exact Bayes ceiling, non-linear rule), the same training on
 * both host backends, and convergence to within {@link Tolerances#CONVERGENCE_POINTS} of the
 * ceiling on each. The cpu backend must load (strict mode): never skipped.
 */
class DenseExampleTest {
  static Device device(String name) {
    Device d = Device.parse(name);
    Backends.get(d);
    return d;
  }

  @Test
  void dataSetHasAnExactCeilingAndFollowsTheRule() {
    DenseExample.Data d = DenseExample.data(1, 1000, 1000);
    assertEquals(1000, d.train().size());
    assertEquals(1000, d.test().size());
    double[][] u = DenseExample.ruleDirections();
    Tensor x = d.test().features(), y = d.test().targets();
    int unflipped = 0, positives = 0;
    for (int i = 0; i < 1000; i++) {
      float clean = DenseExample.cleanLabel(u, x.data(), x.offset() + i * 10);
      assertEquals(clean, d.testClean()[i]);
      float label = y.at(i);
      assertEquals(d.testFlipped()[i] ? 1 - clean : clean, label, "label = clean rule, flipped where recorded");
      if (!d.testFlipped()[i]) unflipped++;
      if (clean == 1f) positives++;
      double p = 0, q = 0;
      for (int j = 0; j < 10; j++) {
        p += u[0][j] * x.get(i, j);
        q += u[1][j] * x.get(i, j);
      }
      assertTrue(Math.min(Math.abs(p), Math.abs(q)) >= DenseExample.MARGIN - 1e-5, "margin");
    }
    assertEquals(unflipped / 1000.0, d.ceiling(), 0.0, "ceiling = fraction of unflipped held-out labels, exactly");
    assertEquals(1 - DenseExample.NOISE, d.ceiling(), 0.03, "about 1 - noise");
    assertEquals(0.5, positives / 1000.0, 0.06, "balanced classes");
    assertArrayEquals(d.train().features().toArray(), DenseExample.data(1, 1000, 1000).train().features().toArray(), "deterministic");
    assertEquals(1.0, dot(u[0], u[0]), 1e-12);
    assertEquals(0.0, dot(u[0], u[1]), 1e-12);
  }

  @Test
  void firstTwentyStepsAgreeBetweenJavaAndCpu() {
    DenseExample.Config c = DenseExample.Config.defaults();
    float[] j = DenseExample.firstStepLosses(c.withDevice(device("java")), 20);
    float[] n = DenseExample.firstStepLosses(c.withDevice(device("cpu")), 20);
    double worst = 0;
    for (int i = 0; i < 20; i++) {
      double rel = Math.abs(j[i] - n[i]) / Math.abs(j[i]);
      worst = Math.max(worst, rel);
      assertTrue(rel <= Tolerances.TRAINING_TRAJECTORY_RTOL,
          String.format(Locale.ROOT, "step %d: java loss %.8f vs cpu %.8f (relative %.2e)", i + 1, j[i], n[i], rel));
    }
    System.out.printf(Locale.ROOT, "dense example, first 20 steps: max relative loss difference java vs cpu %.2e%n", worst);
    assertTrue(j[19] != j[0], "the loss moves");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void convergesToWithinTwoPointsOfTheCeiling(String dev) {
    DenseExample.Result r = DenseExample.run(device(dev), null);
    System.out.printf(Locale.ROOT, "dense example on %s: held-out accuracy %.4f, ceiling %.4f (gap %.2f points), clean-rule accuracy %.4f, "
        + "train loss %.4f, %.0f steps/s%n", dev, r.testAccuracy(), r.ceiling(), r.gapPoints(), r.cleanAccuracy(), r.trainLoss(), r.stepsPerSecond());
    assertTrue(r.testAccuracy() >= r.ceiling() - Tolerances.CONVERGENCE_POINTS / 100,
        String.format(Locale.ROOT, "accuracy %.4f is more than %.1f points below the ceiling %.4f", r.testAccuracy(), Tolerances.CONVERGENCE_POINTS,
            r.ceiling()));
    assertEquals(100, r.history().size());
    assertEquals(20, r.firstStepLosses().length);
  }

  @Test
  void logisticRegressionDoesClearlyWorse() {
    DenseExample.Config c = DenseExample.Config.defaults().withDevice(device("cpu"));
    double logistic = DenseExample.logisticBaseline(c);
    double ceiling = DenseExample.data(c.seed(), c.trainSize(), c.testSize()).ceiling();
    System.out.printf(Locale.ROOT, "dense example: logistic regression held-out accuracy %.4f vs ceiling %.4f%n", logistic, ceiling);
    assertTrue(logistic < ceiling - 0.25, "a linear model must not solve the task: " + logistic);
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
}
