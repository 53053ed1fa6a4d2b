package dev.jnn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.Tolerances;
import dev.jnn.backend.Backends;
import dev.jnn.data.Dataset;
import dev.jnn.data.FashionMnist;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.Conv2d;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Flatten;
import dev.jnn.nn.Layer;
import dev.jnn.nn.Parameter;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The tutorial CNN ({@link CnnExample}): architecture and summary for 28x28x1 and the
 * CIFAR-shaped 32x32x3 input, training steps on both host backends (the cpu backend must load),
 * the same trajectory on both, and a steady-state step that allocates (almost) nothing.
 */
class CnnExampleTest {
  static Device device(String name) {
    Device d = Device.parse(name);
    Backends.get(d);
    return d;
  }

  /** A random batch of n images in [0, 1) and random labels, on device d. */
  static Tensor[] batch(Device d, int n, int c, int h, int w, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[n * c * h * w], y = new float[n];
    for (int i = 0; i < x.length; i++) x[i] = (float) rng.nextDouble();
    for (int i = 0; i < n; i++) y[i] = rng.nextInt(CnnExample.CLASSES);
    return new Tensor[] {Tensor.of(d, x, n, c, h, w), Tensor.of(d, y, n, 1)};
  }

  @Test
  void fashionMnistShapeSummary() {
    Model m = CnnExample.fashionMnistCnn(1);
    assertEquals(576, CnnExample.flattenSize(28, 28));
    assertArrayEquals(new int[] {-1, 64, 3, 3}, outputAfter(m, 8, 1, 28, 28), "after the third convolution");
    assertArrayEquals(new int[] {-1, 576}, outputAfter(m, 9, 1, 28, 28), "Flatten");
    assertArrayEquals(new int[] {-1, 10}, m.network().outputShape(new int[] {-1, 1, 28, 28}));
    // Keras' counts for the tutorial model on 28x28x1: 320 + 18,496 + 36,928 + 36,928 + 650
    assertEquals(93_322, m.network().parameterCount());
    String s = m.summary(1, 28, 28);
    for (String part : new String[] {"Conv2d(1->32, 3x3)", "[None, 32, 26, 26]", "MaxPool2d(2)", "[None, 32, 13, 13]", "[None, 64, 11, 11]",
        "[None, 64, 5, 5]", "[None, 64, 3, 3]", "Flatten", "[None, 576]", "Dense(576->64)", "Dense(64->10)", "[None, 10]", "Total params: 93,322"})
      assertTrue(s.contains(part), "summary lacks " + part + ":\n" + s);
  }

  @Test
  void cifarShapeSummary() {
    Model m = CnnExample.cifarCnn(1);
    assertEquals(1024, CnnExample.flattenSize(32, 32));
    // the TensorFlow tutorial's summary for 32x32x3: 896 + 18,496 + 36,928 + 65,600 + 650 = 122,570
    assertEquals(122_570, m.network().parameterCount());
    String s = m.summary(3, 32, 32);
    System.out.println(s);
    for (String part : new String[] {"Conv2d(3->32, 3x3)", "[None, 32, 30, 30]", "[None, 32, 15, 15]", "[None, 64, 13, 13]", "[None, 64, 6, 6]",
        "[None, 64, 4, 4]", "[None, 1024]", "Dense(1024->64)", "65,600", "Total params: 122,570", "Trainable params: 122,570"})
      assertTrue(s.contains(part), "summary lacks " + part + ":\n" + s);
    assertFalse(s.contains("Non-trainable"), "no buffers in this model");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CnnExample.tutorialCnn(3, 16, 32, 1));
    assertTrue(e.getMessage().contains("16x32") && e.getMessage().contains("18x18"), e.getMessage());
    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> m.summary(1, 32, 32));
    assertTrue(wrong.getMessage().contains("Conv2d(3->32, 3x3)") && wrong.getMessage().contains("1 channels"), wrong.getMessage());
  }

  static int[] outputAfter(Model m, int layers, int... chw) {
    int[] s = {-1, chw[0], chw[1], chw[2]};
    for (int i = 0; i < layers; i++) s = m.sequential().layer(i).outputShape(s);
    return s;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void cifarVariantTrainsAStep(String dev) {
    Device d = device(dev);
    Model m = CnnExample.cifarCnn(2).to(d);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-3).build());
    List<Parameter> ps = m.parameters();
    float[][] before = new float[ps.size()][];
    for (int i = 0; i < ps.size(); i++) before[i] = ps.get(i).value().toArray();
    Tensor[] b = batch(d, 4, 3, 32, 32, 3);
    float loss = m.trainOnBatch(b[0], b[1]);
    assertTrue(Float.isFinite(loss), "loss " + loss);
    for (int i = 0; i < ps.size(); i++)
      assertFalse(java.util.Arrays.equals(before[i], ps.get(i).value().toArray()), "parameter " + i + " " + ps.get(i) + " changed");
  }

  /** Batch losses of the first steps of Adam (lr 1e-3) on one tiny random batch of 28x28 images. */
  static float[] tinyBatchLosses(Device d, int steps) {
    Model m = CnnExample.fashionMnistCnn(4).to(d);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-3).build());
    Tensor[] b = batch(d, 8, 1, 28, 28, 5);
    float[] losses = new float[steps];
    for (int i = 0; i < steps; i++) losses[i] = m.trainOnBatch(b[0], b[1]);
    return losses;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void tutorialCnnLossDecreasesOnATinyBatch(String dev) {
    float[] l = tinyBatchLosses(device(dev), 10);
    System.out.printf(Locale.ROOT, "tutorial CNN on %s, tiny batch: loss %.4f -> %.4f in 10 Adam steps%n", dev, l[0], l[9]);
    for (float v : l) assertTrue(Float.isFinite(v));
    assertTrue(l[9] < 0.8 * l[0], "the loss decreases: " + java.util.Arrays.toString(l));
  }

  @Test
  void javaAndCpuFollowTheSameTrajectory() {
    float[] j = tinyBatchLosses(device("java"), 5), c = tinyBatchLosses(device("cpu"), 5);
    for (int i = 0; i < 5; i++) {
      double rel = Math.abs(j[i] - c[i]) / Math.abs(j[i]);
      assertTrue(rel <= Tolerances.CNN_TRAJECTORY_RTOL, String.format(Locale.ROOT, "step %d: java %.7f vs cpu %.7f", i + 1, j[i], c[i]));
    }
  }

  static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  @Test
  void steadyStateStepAllocatesAlmostNothingOnCpu() {
    Device d = device("cpu");
    Model m = CnnExample.fashionMnistCnn(1).to(d);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-4).build());
    Tensor[] b = batch(d, 4, 1, 28, 28, 6);
    for (int i = 0; i < 150; i++) m.trainOnBatch(b[0], b[1]);   // JIT warm-up
    long a0 = allocated();
    for (int i = 0; i < 50; i++) m.trainOnBatch(b[0], b[1]);
    double perStep = (allocated() - a0) / 50.0;
    System.out.printf(Locale.ROOT, "tutorial CNN on cpu: %.1f bytes allocated per trainOnBatch step%n", perStep);
    assertTrue(perStep < 1024, "a steady-state step allocates " + perStep + " bytes");
  }

  @Test
  void layersOfTheModelAreTheDocumentedOnes() {
    Model m = CnnExample.fashionMnistCnn(1);
    List<Layer> ls = m.sequential().layers();
    assertEquals(12, ls.size());
    Conv2d c1 = (Conv2d) ls.get(0);
    assertEquals(1, c1.inChannels());
    assertEquals(32, c1.outChannels());
    assertEquals(3, c1.kernelH());
    assertTrue(ls.get(8) instanceof Flatten);
    assertEquals(576, ((Dense) ls.get(9)).inFeatures());
  }

  private static FashionMnist.Splits fashion;

  static synchronized FashionMnist.Splits fashion() throws IOException {
    if (!FashionMnist.available()) {
      String why;
      try {
        FashionMnist.directory(null);
        why = "Fashion-MNIST not available";
      } catch (IOException e) {
        why = e.getMessage();
      }
      if (System.getenv("CI") != null) throw new AssertionError(why + ": the convergence test on real data is required in CI (.ci/run installs it)");
      System.out.println("skipping the Fashion-MNIST convergence test: " + why);
      Assumptions.abort(why);
    }
    if (fashion == null) fashion = FashionMnist.load();
    return fashion;
  }

  /**
   * Convergence on real data, bounded: the tutorial CNN trained for 2 epochs on the first 2,000
   * Fashion-MNIST training images (batch 32, Adam 1e-3, pixels in [0, 1]) reaches
   * {@link Tolerances#CNN_FASHION_SUBSET_ACCURACY} on the first 2,000 test images, on each host
   * backend.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"java", "cpu"})
  void fashionMnistSubsetConverges(String dev) throws IOException {
    FashionMnist.Splits s = fashion();
    Dataset train = s.train().slice(0, 2000), test = s.test().slice(0, 2000);
    CnnExample.Result r = CnnExample.run(CnnExample.Config.defaults().withDevice(device(dev)).withEpochs(2), train, test, null);
    System.out.printf(Locale.ROOT, "tutorial CNN on %s, Fashion-MNIST 2,000 images x 2 epochs: test accuracy %.4f (loss %.4f), fit %.1f s%n", dev,
        r.testAccuracy(), r.testLoss(), r.seconds());
    assertTrue(r.testAccuracy() >= Tolerances.CNN_FASHION_SUBSET_ACCURACY,
        String.format(Locale.ROOT, "test accuracy %.4f < %.2f", r.testAccuracy(), Tolerances.CNN_FASHION_SUBSET_ACCURACY));
  }
}
