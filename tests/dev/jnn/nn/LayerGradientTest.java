package dev.jnn.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.jnn.GradientCheck;
import dev.jnn.Tolerances;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference gradient checks (GradientCheck) of every layer's backward, input and
 * parameter gradients, on the Java reference backend (docs/ARCHITECTURE.md, "Tests").
 */
class LayerGradientTest {
  static Tensor randn(long seed, double scale, int... shape) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] d = new float[Tensor.sizeOf(shape)];
    for (int i = 0; i < d.length; i += 2) {
      double[] z = Init.gaussianPair(rng);
      d[i] = (float) (z[0] * scale);
      if (i + 1 < d.length) d[i + 1] = (float) (z[1] * scale);
    }
    return Tensor.of(Device.JAVA, d, shape);
  }

  static GradientCheck.Options opts() { return GradientCheck.Options.defaults(); }

  @Test
  void dense() {
    Dense d = new Dense(5, 4);
    d.initialize(new SplittableRandom(3));
    d.bias().value().copyFrom(randn(4, 0.5, 4));   // a non-zero bias, so its use in forward is checked
    GradientCheck.Report r = GradientCheck.layer(d, randn(1, 1, 3, 5), opts());
    r.assertPassed();
    assertEquals(3 * 5 + 4 * 5 + 4, r.checked(), "input, weight and bias elements all checked");
  }

  @Test
  void denseHeNormalWithoutInputGradient() {
    Dense d = new Dense(6, 3, Init.HE_NORMAL);
    d.initialize(new SplittableRandom(5));
    d.setInputGradRequired(false);
    Tensor x = randn(2, 1, 4, 6);
    d.forward(x, true);
    assertNull(d.backward(randn(3, 1, 4, 3)), "no input gradient when not required");
    GradientCheck.Report r = GradientCheck.layer(d, x, opts());
    r.assertPassed();
    assertEquals(6 * 3 + 3, r.checked(), "parameters only");
  }

  @Test
  void relu() {
    GradientCheck.layer(new ReLU(), randn(6, 1, 4, 7), opts().withKink(0, Tolerances.GRADCHECK_KINK_RANGE)).assertPassed();
  }

  @Test
  void leakyRelu() {
    GradientCheck.layer(new LeakyReLU(0.1f), randn(7, 1, 4, 7), opts().withKink(0, Tolerances.GRADCHECK_KINK_RANGE)).assertPassed();
  }

  @Test
  void sigmoid() {
    GradientCheck.layer(new Sigmoid(), randn(8, 2, 3, 6), opts()).assertPassed();
  }

  @Test
  void tanh() {
    GradientCheck.layer(new Tanh(), randn(9, 1.5, 3, 6), opts()).assertPassed();
  }

  @Test
  void gelu() {
    GradientCheck.layer(new GELU(), randn(10, 1.5, 3, 6), opts()).assertPassed();
  }

  @Test
  void softmax() {
    GradientCheck.layer(new Softmax(), randn(11, 1.5, 4, 5), opts()).assertPassed();
  }

  @Test
  void softmaxRank3() {
    GradientCheck.layer(new Softmax(), randn(12, 1, 2, 3, 4), opts()).assertPassed();
  }

  @Test
  void dropoutWithAFixedMask() {
    Dropout d = new Dropout(0.4f);
    GradientCheck.Report r = GradientCheck.layer(d, randn(13, 1, 5, 8), opts().withBeforeForward(() -> d.seed(77)));
    r.assertPassed();
  }

  @Test
  void dropoutMasksAdvanceAndScale() {
    Dropout d = new Dropout(0.5f).seed(1);
    Tensor x = Tensor.of(Device.JAVA, filled(4000, 1f), 4000);
    float[] first = d.forward(x, true).toArray();
    int kept = 0;
    for (float v : first) {
      if (v != 0f) {
        kept++;
        assertEquals(2f, v, "kept elements are scaled by 1/(1-p)");
      }
    }
    assertEquals(2000, kept, 150, "about half kept");
    float[] second = d.forward(x, true).toArray();
    assertEquals(false, java.util.Arrays.equals(first, second), "the counter advances: a new mask each training forward");
    d.seed(1);
    assertEquals(true, java.util.Arrays.equals(first, d.forward(x, true).toArray()), "reseeding replays the mask");
    assertSame(x, d.forward(x, false), "identity at inference");
    Tensor g = Tensor.of(Device.JAVA, filled(4000, 3f), 4000);
    assertSame(g, d.backward(g), "identity backward after an inference forward");
  }

  @Test
  void sequentialComposition() {
    Sequential m = new Sequential(new Dense(6, 5), new Tanh(), new Dense(5, 4), new GELU(), new Dense(4, 3), new Sigmoid()).init(21);
    GradientCheck.Report r = GradientCheck.layer(m, randn(14, 1, 4, 6), opts());
    r.assertPassed();
    assertEquals(4 * 6 + (6 * 5 + 5) + (5 * 4 + 4) + (4 * 3 + 3), r.checked());
  }

  @Test
  void sequentialWithDropoutAndSoftmax() {
    Dropout drop = new Dropout(0.25f);
    Sequential m = new Sequential(new Dense(5, 6), new Tanh(), drop, new Dense(6, 4), new Softmax()).init(22);
    GradientCheck.layer(m, randn(15, 1, 3, 5), opts().withBeforeForward(() -> drop.seed(5))).assertPassed();
  }

  static float[] filled(int n, float v) {
    float[] a = new float[n];
    java.util.Arrays.fill(a, v);
    return a;
  }
}
