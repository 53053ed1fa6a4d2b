package dev.jnn.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.GradientCheck;
import dev.jnn.Tolerances;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Gradient checks of every loss on the Java backend (the loss itself is the scalar objective),
 * their values against direct formulas, their accuracy semantics and their input validation.
 */
class LossTest {
  static Tensor uniform(long seed, double lo, double hi, int... shape) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] d = new float[Tensor.sizeOf(shape)];
    for (int i = 0; i < d.length; i++) d[i] = (float) (lo + (hi - lo) * rng.nextDouble());
    return Tensor.of(Device.JAVA, d, shape);
  }

  static Tensor bits(long seed, int... shape) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] d = new float[Tensor.sizeOf(shape)];
    for (int i = 0; i < d.length; i++) d[i] = rng.nextBoolean() ? 1f : 0f;
    return Tensor.of(Device.JAVA, d, shape);
  }

  static Tensor labels(long seed, int rows, int classes) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] d = new float[rows];
    for (int i = 0; i < rows; i++) d[i] = rng.nextInt(classes);
    return Tensor.of(Device.JAVA, d, rows, 1);
  }

  static GradientCheck.Options opts() { return GradientCheck.Options.defaults(); }

  static void close(double expected, double got, String what) {
    assertEquals(expected, got, Tolerances.LOSS_ATOL + Tolerances.LOSS_RTOL * Math.abs(expected), what);
  }

  @Test
  void mseGradient() {
    GradientCheck.loss(new MseLoss(), uniform(1, -2, 2, 4, 3), uniform(2, -2, 2, 4, 3), opts()).assertPassed();
  }

  @Test
  void bceGradientHardAndSoftTargets() {
    GradientCheck.loss(new BceLoss(), uniform(3, 0.1, 0.9, 6, 2), bits(4, 6, 2), opts()).assertPassed();
    GradientCheck.loss(new BceLoss(), uniform(5, 0.1, 0.9, 6, 2), uniform(6, 0, 1, 6, 2), opts()).assertPassed();
  }

  @Test
  void bceWithLogitsGradient() {
    GradientCheck.loss(new BceWithLogitsLoss(), uniform(7, -4, 4, 6, 2), bits(8, 6, 2), opts()).assertPassed();
    GradientCheck.loss(new BceWithLogitsLoss(), uniform(9, -4, 4, 6, 2), uniform(10, 0, 1, 6, 2), opts()).assertPassed();
  }

  @Test
  void softmaxCrossEntropyGradient() {
    GradientCheck.loss(new SoftmaxCrossEntropyLoss(), uniform(11, -3, 3, 5, 4), labels(12, 5, 4), opts()).assertPassed();
  }

  @Test
  void valuesMatchFormulas() {
    Tensor p = uniform(13, 0.05, 0.95, 8, 1), t = bits(14, 8, 1), z = uniform(15, -5, 5, 8, 1);
    double mse = 0, bce = 0, bcel = 0;
    for (int i = 0; i < 8; i++) {
      double pi = p.at(i), ti = t.at(i), zi = z.at(i);
      mse += (pi - ti) * (pi - ti);
      bce -= ti * Math.log(pi) + (1 - ti) * Math.log(1 - pi);
      double s = 1 / (1 + Math.exp(-zi));
      bcel -= ti * Math.log(s) + (1 - ti) * Math.log(1 - s);
    }
    close(mse / 8, new MseLoss().forward(p, t), "mse");
    close(bce / 8, new BceLoss().forward(p, t), "bce");
    close(bcel / 8, new BceWithLogitsLoss().forward(z, t), "bce with logits");

    Tensor logits = uniform(16, -3, 3, 5, 4), y = labels(17, 5, 4);
    double ce = 0;
    for (int r = 0; r < 5; r++) {
      double max = Double.NEGATIVE_INFINITY, sum = 0;
      for (int c = 0; c < 4; c++) max = Math.max(max, logits.get(r, c));
      for (int c = 0; c < 4; c++) sum += Math.exp(logits.get(r, c) - max);
      ce -= logits.get(r, (int) y.at(r)) - max - Math.log(sum);
    }
    close(ce / 5, new SoftmaxCrossEntropyLoss().forward(logits, y), "softmax cross-entropy");
  }

  @Test
  void softmaxCrossEntropyIntLabelsMatchFloatIds() {
    Tensor logits = uniform(18, -3, 3, 5, 4), y = labels(19, 5, 4);
    SoftmaxCrossEntropyLoss a = new SoftmaxCrossEntropyLoss(), b = new SoftmaxCrossEntropyLoss();
    int[] ids = new int[7];
    for (int i = 0; i < 5; i++) ids[i + 2] = (int) y.at(i);
    assertEquals(a.forward(logits, y), b.forward(logits, ids, 2));
    float[] ga = a.backward().toArray(), gb = b.backward().toArray();
    for (int i = 0; i < ga.length; i++) assertEquals(ga[i], gb[i]);
  }

  @Test
  void accuracySemantics() {
    Tensor t = Tensor.of(new float[] {1, 0, 1, 0}, 4, 1);
    // probabilities: threshold 0.5 (>= counts as class 1)
    assertEquals(3, new BceLoss().countCorrect(Tensor.of(new float[] {0.5f, 0.49f, 0.2f, 0.1f}, 4, 1), t));
    // logits: threshold 0
    assertEquals(2, new BceWithLogitsLoss().countCorrect(Tensor.of(new float[] {0.3f, 0.1f, -2f, -1f}, 4, 1), t));
    assertEquals(4, new BceLoss().countPredictions(t));
    // multi-class: argmax per row
    Tensor logits = Tensor.of(new float[] {0, 5, 1, /**/ 3, 1, 2, /**/ 0, 0, 9}, 3, 3);
    Tensor y = Tensor.of(new float[] {1, 0, 1}, 3, 1);
    SoftmaxCrossEntropyLoss ce = new SoftmaxCrossEntropyLoss();
    assertEquals(2, ce.countCorrect(logits, y));
    assertEquals(3, ce.countPredictions(logits));
    assertFalse(new MseLoss().hasAccuracy());
    assertTrue(ce.hasAccuracy());
  }

  @Test
  void badInputsNameTheLossAndShapes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new MseLoss().forward(Tensor.zeros(4, 2), Tensor.zeros(4, 1)));
    assertTrue(e.getMessage().contains("MseLoss") && e.getMessage().contains("[4, 1]") && e.getMessage().contains("[4, 2]"), e.getMessage());

    e = assertThrows(IllegalArgumentException.class,
        () -> new SoftmaxCrossEntropyLoss().forward(Tensor.zeros(3, 4), Tensor.of(new float[] {0, 4, 1}, 3, 1)));
    assertTrue(e.getMessage().contains("label 4.0 at row 1") && e.getMessage().contains("[0, 4)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new SoftmaxCrossEntropyLoss().forward(Tensor.zeros(3, 4), Tensor.of(new float[] {0, 1.5f, 1}, 3, 1)));
    assertTrue(e.getMessage().contains("1.5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new SoftmaxCrossEntropyLoss().forward(Tensor.zeros(3, 4), new int[] {0, 1, -1}, 0));
    assertTrue(e.getMessage().contains("label -1"), e.getMessage());

    assertThrows(NullPointerException.class, () -> new BceLoss().forward(null, Tensor.zeros(1, 1)));
    e = assertThrows(IllegalArgumentException.class, () -> new BceLoss().forward(Tensor.zeros(2, 1), Tensor.zeros(Device.CPU, 2, 1)));
    assertTrue(e.getMessage().contains("java") && e.getMessage().contains("cpu"), e.getMessage());

    IllegalStateException s = assertThrows(IllegalStateException.class, () -> new BceLoss().backward());
    assertTrue(s.getMessage().contains("BceLoss") && s.getMessage().contains("before forward"), s.getMessage());

    // a failed forward leaves the loss usable
    MseLoss mse = new MseLoss();
    assertThrows(IllegalArgumentException.class, () -> mse.forward(Tensor.zeros(4, 2), Tensor.zeros(4, 1)));
    assertEquals(0f, mse.forward(Tensor.zeros(4, 1), Tensor.zeros(4, 1)));
    assertEquals(0f, mse.backward().at(0));
  }

  @Test
  void datasetTargetChecks() {
    int[] out = {-1, 3};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new SoftmaxCrossEntropyLoss().checkTargets(Tensor.of(new float[] {0, 2, 3, 1}, 4, 1), out));
    assertTrue(e.getMessage().contains("row 2") && e.getMessage().contains("[0, 3)"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new BceLoss().checkTargets(Tensor.of(new float[] {0, 1, 2}, 3, 1), new int[] {-1, 1}));
    assertTrue(e.getMessage().contains("row 2") && e.getMessage().contains("[0, 1]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new MseLoss().checkTargets(Tensor.zeros(3, 2), new int[] {-1, 1}));
    assertTrue(e.getMessage().contains("1 column"), e.getMessage());
  }
}
