package dev.jnn.nn;

import static dev.jnn.nn.LayerGradientTest.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.jnn.GradientCheck;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference gradient checks (the generic {@link GradientCheck}) of the convolutional
 * layers on the Java reference backend: input and parameter gradients of Conv2d over strides,
 * padding, dilation, 1x1 kernels, with and without bias, 1 and 3 channels, batches 1 and 2; the
 * poolings, Flatten, and BatchNorm1d/2d in training mode (input, gamma and beta gradients).
 */
class ConvLayerGradientTest {
  static GradientCheck.Options opts() { return GradientCheck.Options.defaults(); }

  /**
   * A tensor whose values are a random permutation of a grid with spacing 0.05 around 0: no two
   * elements lie within 2 eps of each other, so a finite-difference step never changes which
   * element of a pooling window is the maximum (a kink of max pooling).
   */
  static Tensor distinct(long seed, int... shape) {
    int n = Tensor.sizeOf(shape);
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) perm[i] = i;
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1), t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    float[] d = new float[n];
    for (int i = 0; i < n; i++) d[i] = (perm[i] - n / 2) * 0.05f;
    return Tensor.of(Device.JAVA, d, shape);
  }

  /** A Conv2d case: the layer's options and the input shape. */
  record ConvCase(String label, Conv2d.Options options, int[] input) {
    @Override public String toString() { return label; }
  }

  static ConvCase conv(String label, Conv2d.Builder b, int... input) { return new ConvCase(label, b.options(), input); }

  static Stream<ConvCase> convCases() {
    return Stream.of(
        conv("C=1 3x3 stride 1 batch 1", Conv2d.builder(1, 2).kernel(3), 1, 1, 5, 5),
        conv("C=3 3x3 stride 2 pad 1 batch 2", Conv2d.builder(3, 2).kernel(3).stride(2).padding(1), 2, 3, 6, 5),
        conv("C=3 3x3 stride 2 no bias batch 1", Conv2d.builder(3, 3).kernel(3).stride(2).bias(false), 1, 3, 7, 7),
        conv("C=2 3x2 dilation 2 pad 2x1 batch 2", Conv2d.builder(2, 3).kernel(3, 2).dilation(2).padding(2, 1), 2, 2, 7, 6),
        conv("C=3 1x1 no bias batch 2", Conv2d.builder(3, 4).kernel(1).bias(false), 2, 3, 4, 4),
        conv("C=1 1x1 stride 2 batch 2", Conv2d.builder(1, 2).kernel(1).stride(2), 2, 1, 5, 5),
        conv("C=2 3x3 same dilation 2 batch 1", Conv2d.builder(2, 2).kernel(3).paddingSame().dilation(2), 1, 2, 5, 5),
        conv("C=3 2x3 stride 2x1 pad 1x0 He batch 2", Conv2d.builder(3, 2).kernel(2, 3).stride(2, 1).padding(1, 0).init(Init.HE_NORMAL), 2, 3, 5, 6));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("convCases")
  void conv2d(ConvCase c) {
    Conv2d l = new Conv2d(c.options());
    l.initialize(new SplittableRandom(3));
    if (l.hasBias()) l.bias().value().copyFrom(randn(4, 0.5, l.outChannels()));   // non-zero, so its use in forward is checked
    Tensor x = randn(1, 1, c.input());
    GradientCheck.Report r = GradientCheck.layer(l, x, opts());
    r.assertPassed();
    assertEquals(x.size() + l.weight().size() + (l.hasBias() ? l.outChannels() : 0), r.checked(), "input, weight and bias elements all checked");
  }

  @Test
  void conv2dWithoutInputGradient() {
    Conv2d l = Conv2d.builder(2, 3).kernel(3).padding(1).build();
    l.initialize(new SplittableRandom(5));
    l.setInputGradRequired(false);
    Tensor x = randn(2, 1, 2, 2, 4, 4);
    Tensor y = l.forward(x, true);
    assertNull(l.backward(randn(3, 1, y.shape())), "no input gradient when not required");
    GradientCheck.Report r = GradientCheck.layer(l, x, opts());
    r.assertPassed();
    assertEquals(l.weight().size() + 3, r.checked(), "parameters only");
  }

  @Test
  void maxPool2d() {
    GradientCheck.layer(new MaxPool2d(2), distinct(11, 2, 3, 6, 6), opts()).assertPassed();
  }

  @Test
  void maxPool2dOverlappingWithPadding() {
    GradientCheck.layer(new MaxPool2d(3, 2, 1), distinct(12, 2, 2, 7, 6), opts()).assertPassed();
  }

  @Test
  void maxPool2dRectangularOddInput() {
    // 5x7 input with 2x3 windows, stride 2x2: the last row and column are dropped (floor)
    GradientCheck.layer(new MaxPool2d(2, 3, 2, 2, 0, 1), distinct(13, 1, 2, 5, 7), opts()).assertPassed();
  }

  @Test
  void avgPool2d() {
    GradientCheck.layer(new AvgPool2d(2), randn(14, 1, 2, 3, 6, 6), opts()).assertPassed();
  }

  @Test
  void avgPool2dWithPadding() {
    GradientCheck.layer(new AvgPool2d(3, 2, 1), randn(15, 1, 2, 2, 7, 6), opts()).assertPassed();
  }

  @Test
  void globalAvgPool2d() {
    GradientCheck.layer(new GlobalAvgPool2d(), randn(16, 1, 2, 3, 4, 5), opts()).assertPassed();
  }

  @Test
  void flatten() {
    Flatten f = new Flatten();
    Tensor x = randn(17, 1, 2, 3, 4, 5);
    GradientCheck.layer(f, x, opts()).assertPassed();
    Tensor y = f.forward(x, true);
    assertSame(x.data(), y.data(), "a view, not a copy");
  }

  @Test
  void batchNorm1dTraining() {
    BatchNorm1d bn = new BatchNorm1d(4);
    bn.weight().value().copyFrom(randn(18, 0.5, 4));
    bn.bias().value().copyFrom(randn(19, 0.5, 4));
    for (int i = 0; i < 4; i++) bn.weight().value().set(bn.weight().value().at(i) + 1f, i);   // gamma around 1
    Tensor x = randn(20, 1.5, 6, 4);
    GradientCheck.Report r = GradientCheck.layer(bn, x, opts());
    r.assertPassed();
    assertEquals(6 * 4 + 4 + 4, r.checked(), "input, gamma and beta");
  }

  @Test
  void batchNorm2dTraining() {
    BatchNorm2d bn = new BatchNorm2d(3);
    bn.weight().value().copyFrom(Tensor.of(new float[] {0.8f, 1.3f, -0.6f}, 3));
    bn.bias().value().copyFrom(Tensor.of(new float[] {0.1f, -0.4f, 0.7f}, 3));
    Tensor x = randn(21, 1, 2, 3, 3, 4);
    GradientCheck.Report r = GradientCheck.layer(bn, x, opts());
    r.assertPassed();
    assertEquals(2 * 3 * 3 * 4 + 3 + 3, r.checked(), "input, gamma and beta");
  }

  @Test
  void batchNorm2dBatchOfOne() {
    // one image: the statistics run over the spatial plane only (N*H*W = 12 values per channel)
    GradientCheck.layer(new BatchNorm2d(2), randn(22, 1, 1, 2, 3, 4), opts()).assertPassed();
  }

  @Test
  void smoothConvStack() {
    // a smooth composition (no ReLU or max kinks), through every parameter of the stack
    Sequential m = new Sequential(Conv2d.builder(2, 3).kernel(3).padding(1).build(), new BatchNorm2d(3), new Tanh(), new AvgPool2d(2),
        Conv2d.builder(3, 4).kernel(1).build(), new Tanh(), new Flatten(), new Dense(4 * 2 * 2, 3)).init(23);
    GradientCheck.Report r = GradientCheck.layer(m, randn(24, 1, 2, 2, 4, 4), opts());
    r.assertPassed();
    assertEquals(2 * 2 * 4 * 4 + (3 * 2 * 9 + 3) + (3 + 3) + (4 * 3 + 4) + (16 * 3 + 3), r.checked());
  }
}
