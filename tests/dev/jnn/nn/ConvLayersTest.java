package dev.jnn.nn;

import static dev.jnn.nn.LayerGradientTest.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.Tolerances;
import dev.jnn.backend.Backends;
import dev.jnn.data.Dataset;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import dev.jnn.backend.BackendSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.function.Executable;

/**
 * The convolutional layers beyond their gradients: shapes, semantics against direct formulas
 * (PyTorch's), batch-norm statistics and modes, buffers, layer-level parity of the java and the
 * native cpu backend (which must load), configuration errors and bad input.
 */
class ConvLayersTest {
  static final Device CPU = Device.CPU;

  // ---------------------------------------------------------------- shapes and semantics

  @Test
  void outputShapesAgreeWithForward() {
    Tensor x = randn(1, 1, 2, 3, 9, 8);
    Layer[] layers = {
        new Conv2d(3, 4, 3), Conv2d.builder(3, 5).kernel(3, 2).stride(2).padding(1, 0).dilation(1, 2).build(),
        Conv2d.builder(3, 2).kernel(5).paddingSame().build(), new MaxPool2d(2), new MaxPool2d(3, 2, 1), new AvgPool2d(2, 3, 2, 1, 1, 1),
        new GlobalAvgPool2d(), new Flatten(), new BatchNorm2d(3)};
    int[][] expected = {{2, 4, 7, 6}, {2, 5, 5, 3}, {2, 2, 9, 8}, {2, 3, 4, 4}, {2, 3, 5, 4}, {2, 3, 5, 8}, {2, 3}, {2, 216}, {2, 3, 9, 8}};
    for (int i = 0; i < layers.length; i++) {
      Tensor y = layers[i].forward(x, true);
      assertArrayEquals(expected[i], y.shape(), layers[i].name());
      int[] s = layers[i].outputShape(new int[] {-1, 3, 9, 8});
      s[0] = 2;
      assertArrayEquals(expected[i], s, layers[i].name() + ".outputShape");
    }
  }

  /** y[n,k,p,q] = b[k] + sum_{c,r,s} w[k,c,r,s] x[n,c,p*sh-ph+r*dh, q*sw-pw+s*dw], in double, with the magnitude sum of |terms|. */
  static double[][] directConv(Tensor x, Conv2d l) {
    int n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3), k = l.outChannels(), r = l.kernelH(), s = l.kernelW();
    int[] out = l.outputShape(x.shape());
    int p = out[2], q = out[3];
    double[] y = new double[n * k * p * q], mag = new double[y.length];
    Tensor w = l.weight().value();
    for (int in = 0; in < n; in++)
      for (int ik = 0; ik < k; ik++)
        for (int ip = 0; ip < p; ip++)
          for (int iq = 0; iq < q; iq++) {
            double acc = l.hasBias() ? l.bias().value().at(ik) : 0, m = Math.abs(acc);
            for (int ic = 0; ic < c; ic++)
              for (int ir = 0; ir < r; ir++)
                for (int is = 0; is < s; is++) {
                  int hh = ip * l.strideH() - l.paddingH() + ir * l.dilationH(), ww = iq * l.strideW() - l.paddingW() + is * l.dilationW();
                  if (hh < 0 || hh >= h || ww < 0 || ww >= wd) continue;
                  double t = (double) w.get(ik, ic, ir, is) * x.get(in, ic, hh, ww);
                  acc += t;
                  m += Math.abs(t);
                }
            int idx = ((in * k + ik) * p + ip) * q + iq;
            y[idx] = acc;
            mag[idx] = m;
          }
    return new double[][] {y, mag};
  }

  @Test
  void conv2dMatchesTheDirectFormula() {
    Conv2d[] convs = {
        Conv2d.builder(3, 4).kernel(3, 2).stride(2, 1).padding(1, 2).dilation(2, 1).build(),
        Conv2d.builder(2, 3).kernel(3).paddingSame().bias(false).build(),
        new Conv2d(3, 2, 1)};
    for (Conv2d l : convs) {
      l.initialize(new SplittableRandom(2));
      if (l.hasBias()) l.bias().value().copyFrom(randn(3, 1, l.outChannels()));
      Tensor x = randn(4, 1, 2, l.inChannels(), 7, 6);
      for (Device d : new Device[] {Device.JAVA, cpu()}) {
        l.to(d);
        Tensor y = l.forward(x.to(d), false);
        double[][] ref = directConv(x, l);
        for (int i = 0; i < y.size(); i++)
          assertTrue(Math.abs(y.at(i) - ref[0][i]) <= Tolerances.CONV_FORMULA_RTOL * ref[1][i] + 1e-30,
              l.name() + " on " + d + " element " + i + ": " + y.at(i) + " vs " + ref[0][i]);
      }
    }
  }

  @Test
  void samePaddingFollowsPyTorch() {
    Conv2d same = Conv2d.builder(2, 3).kernel(5, 3).paddingSame().build();
    assertEquals(2, same.paddingH());
    assertEquals(1, same.paddingW());
    assertTrue(same.samePadding());
    assertArrayEquals(new int[] {-1, 3, 11, 4}, same.outputShape(new int[] {-1, 2, 11, 4}), "'same' keeps the spatial size");
    Conv2d dilated = Conv2d.builder(1, 1).kernel(3).dilation(3).paddingSame().build();
    assertEquals(3, dilated.paddingH(), "dilation (k - 1) / 2");
    IllegalArgumentException strided = assertThrows(IllegalArgumentException.class, () -> Conv2d.builder(2, 3).kernel(3).stride(2).paddingSame().build());
    mentions(strided, "Conv2d(2->3)", "'same'", "stride 1");
    IllegalArgumentException even = assertThrows(IllegalArgumentException.class, () -> Conv2d.builder(2, 3).kernel(4, 3).paddingSame().build());
    mentions(even, "Conv2d(2->3)", "'same'", "odd effective kernel", "4x3");
    // an even kernel with an even dilation has an odd effective kernel (2 (4 - 1) + 1 = 7): allowed, as in PyTorch
    assertEquals(3, Conv2d.builder(1, 1).kernel(4).dilation(2).paddingSame().build().paddingH());
  }

  @Test
  void gettersExposeTheFullConfiguration() {
    Conv2d c = Conv2d.builder(3, 8).kernel(5, 3).stride(2, 1).padding(2, 1).dilation(1, 2).bias(false).init(Init.HE_UNIFORM).build();
    assertEquals(3, c.inChannels());
    assertEquals(8, c.outChannels());
    assertEquals(5, c.kernelH());
    assertEquals(3, c.kernelW());
    assertEquals(2, c.strideH());
    assertEquals(1, c.strideW());
    assertEquals(2, c.paddingH());
    assertEquals(1, c.paddingW());
    assertEquals(1, c.dilationH());
    assertEquals(2, c.dilationW());
    assertFalse(c.hasBias());
    assertFalse(c.samePadding());
    assertEquals(Init.HE_UNIFORM, c.init());
    assertEquals(List.of(c.weight()), c.parameters());
    assertArrayEquals(new int[] {8, 3, 5, 3}, c.weight().value().shape());
    assertEquals(c.options(), new Conv2d(c.options()).options(), "options rebuild the layer");
    assertEquals("Conv2d(3->8, 5x3, stride 2x1, pad 2x1, dilation 1x2, no bias)", c.name());
    assertEquals("Conv2d(1->32, 3x3)", new Conv2d(1, 32, 3).name());

    MaxPool2d m = new MaxPool2d(3, 2, 1);
    assertEquals(3, m.kernelH());
    assertEquals(3, m.kernelW());
    assertEquals(2, m.strideH());
    assertEquals(2, m.strideW());
    assertEquals(1, m.paddingH());
    assertEquals(1, m.paddingW());
    assertEquals("MaxPool2d(3, stride 2, pad 1)", m.name());
    assertEquals("MaxPool2d(2)", new MaxPool2d(2).name());
    AvgPool2d a = new AvgPool2d(2, 3, 1, 2, 1, 0);
    assertEquals(2, a.kernelH());
    assertEquals(3, a.kernelW());
    assertEquals(1, a.strideH());
    assertEquals(2, a.strideW());
    assertEquals(1, a.paddingH());
    assertEquals(0, a.paddingW());
    assertTrue(a.countIncludePad());

    BatchNorm2d bn = new BatchNorm2d(16, 0.01f, 1e-3f);
    assertEquals(16, bn.numFeatures());
    assertEquals(0.01f, bn.momentum());
    assertEquals(1e-3f, bn.eps());
    BatchNorm1d b1 = new BatchNorm1d(7);
    assertEquals(0.1f, b1.momentum(), "PyTorch's default momentum");
    assertEquals(1e-5f, b1.eps(), "PyTorch's default eps");
    assertEquals("BatchNorm1d(7)", b1.name());
  }

  @Test
  void poolingSemantics() {
    // 1 plane 4x4 of all -1: max pooling with padding must not pick the zero padding
    Tensor neg = Tensor.of(filled(16, -1f), 1, 1, 4, 4);
    Tensor m = new MaxPool2d(3, 2, 1).forward(neg, false);
    for (int i = 0; i < m.size(); i++) assertEquals(-1f, m.at(i), "padding never wins");
    // average pooling counts the padding (count_include_pad=True): a corner window of ones sees 4 of 9
    Tensor ones = Tensor.of(filled(16, 1f), 1, 1, 4, 4);
    Tensor a = new AvgPool2d(3, 2, 1).forward(ones, false);
    assertEquals(4.0 / 9, a.get(0, 0, 0, 0), Tolerances.SUM_RTOL);   // a sum of exact ones and one division: <= 2 ulps
    assertEquals(6.0 / 9, a.get(0, 0, 0, 1), Tolerances.SUM_RTOL);
    assertEquals(1.0, a.get(0, 0, 1, 1), Tolerances.SUM_RTOL);
    // max pooling routes the gradient to the argmax only
    Tensor x = Tensor.of(new float[] {1, 5, 2, 0, 3, 4, 9, 8, -1, -2, -3, -4, 0, 7, 6, 2}, 1, 1, 4, 4);
    MaxPool2d mp = new MaxPool2d(2);
    assertArrayEquals(new float[] {5, 9, 7, 6}, mp.forward(x, true).toArray());
    Tensor dx = mp.backward(Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2));
    assertArrayEquals(new float[] {0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 3, 4, 0}, dx.toArray());
    GlobalAvgPool2d g = new GlobalAvgPool2d();
    assertEquals(37.0 / 16, g.forward(x, true).at(0), "a sum of small integers and a division by 16: exact");
  }

  @Test
  void flattenIsAViewWithCachedViews() {
    Flatten f = new Flatten();
    Tensor x = randn(5, 1, 2, 3, 4, 4);
    Tensor y = f.forward(x, true);
    assertArrayEquals(new int[] {2, 48}, y.shape());
    assertSame(x.data(), y.data());
    assertSame(y, f.forward(x, true), "the same input gives the same view object: no allocation in steady state");
    Tensor dy = randn(6, 1, 2, 48);
    Tensor dx = f.backward(dy);
    assertArrayEquals(x.shape(), dx.shape());
    assertSame(dy.data(), dx.data(), "backward is a view of dy");
    assertSame(dx, f.backward(dy));
    Tensor flat = randn(7, 1, 3, 5);
    assertSame(flat, f.forward(flat, true), "rank 2 passes through");
  }

  // ---------------------------------------------------------------- batch norm

  @Test
  void batchNormRunningStatisticsFollowPyTorch() {
    for (Device d : new Device[] {Device.JAVA, cpu()}) {
      BatchNorm2d bn = new BatchNorm2d(3, 0.2f, 1e-5f);
      bn.to(d);
      double[] mean = new double[3], var = {1, 1, 1};
      for (int step = 0; step < 3; step++) {
        Tensor x = randn(10 + step, 2, 4, 3, 5, 5);
        for (int i = 0; i < x.size(); i++) x.data()[i] += (i / 25) % 3 + 1;   // channel c shifted by c + 1: means not ~0
        bn.forward(x.to(d), true);
        for (int c = 0; c < 3; c++) {
          double s = 0, ss = 0;
          int m = 4 * 25;
          for (int n = 0; n < 4; n++) for (int i = 0; i < 25; i++) s += x.get(n, c, i / 5, i % 5);
          double mu = s / m;
          for (int n = 0; n < 4; n++) for (int i = 0; i < 25; i++) ss += Math.pow(x.get(n, c, i / 5, i % 5) - mu, 2);
          mean[c] = 0.8 * mean[c] + 0.2 * mu;
          var[c] = 0.8 * var[c] + 0.2 * ss / (m - 1);   // unbiased, as PyTorch
        }
        for (int c = 0; c < 3; c++) {
          close(mean[c], bn.runningMean().at(c), "running_mean on " + d + " after step " + (step + 1));
          close(var[c], bn.runningVar().at(c), "running_var on " + d + " after step " + (step + 1));
        }
      }
    }
  }

  @Test
  void batchNormEvaluationUsesTheRunningStatistics() {
    for (Device d : new Device[] {Device.JAVA, cpu()}) {
      BatchNorm1d bn = new BatchNorm1d(2);
      bn.to(d);
      bn.runningMean().copyFrom(Tensor.of(new float[] {1f, -2f}, 2));
      bn.runningVar().copyFrom(Tensor.of(new float[] {4f, 0.25f}, 2));
      bn.weight().value().copyFrom(Tensor.of(new float[] {2f, 1f}, 2));
      bn.bias().value().copyFrom(Tensor.of(new float[] {0.5f, 0f}, 2));
      Tensor x = Tensor.of(d, new float[] {3f, -2f, 1f, -1f, 5f, 0f}, 3, 2);
      float[] y = bn.forward(x, false).toArray();
      float[] before = {bn.runningMean().at(0), bn.runningVar().at(0)};
      for (int i = 0; i < 3; i++) {
        double x0 = x.get(i, 0), x1 = x.get(i, 1);
        close(2 * (x0 - 1) / Math.sqrt(4 + 1e-5) + 0.5, y[2 * i], "channel 0 on " + d);
        close((x1 + 2) / Math.sqrt(0.25 + 1e-5), y[2 * i + 1], "channel 1 on " + d);
      }
      assertArrayEquals(before, new float[] {bn.runningMean().at(0), bn.runningVar().at(0)}, "evaluation leaves the running statistics alone");
      // a batch of one is fine in evaluation, not in training
      bn.forward(Tensor.of(d, new float[] {1f, 2f}, 1, 2), false);
      mentions(assertThrows(IllegalArgumentException.class, () -> bn.forward(Tensor.of(d, new float[] {1f, 2f}, 1, 2), true)),
          "BatchNorm1d(2)", "more than 1 value per channel", "[1, 2]");
      // training normalizes with the batch statistics: zero mean, unit (biased) variance before gamma/beta
      bn.weight().value().fill(1f);
      bn.bias().value().fill(0f);
      float[] t = bn.forward(x, true).toArray();
      for (int c = 0; c < 2; c++) {
        double mu = (x.get(0, c) + x.get(1, c) + x.get(2, c)) / 3.0, var = 0;
        for (int i = 0; i < 3; i++) var += Math.pow(x.get(i, c) - mu, 2) / 3;   // biased, for normalizing
        for (int i = 0; i < 3; i++) close((x.get(i, c) - mu) / Math.sqrt(var + 1e-5), t[2 * i + c], "training output, channel " + c + " on " + d);
      }
    }
  }

  @Test
  void batchNormBuffersAreCheckpointStateNotParameters() {
    BatchNorm2d bn = new BatchNorm2d(4);
    assertEquals(List.of("weight", "bias"), names(bn.parameters()));
    Map<String, Tensor> buf = bn.buffers();
    assertEquals(List.of("running_mean", "running_var"), new ArrayList<>(buf.keySet()));
    assertSame(bn.runningMean(), buf.get("running_mean"));
    assertArrayEquals(filled(4, 0f), bn.runningMean().toArray());
    assertArrayEquals(filled(4, 1f), bn.runningVar().toArray());
    assertArrayEquals(filled(4, 1f), bn.weight().value().toArray(), "gamma starts at 1");
    assertArrayEquals(filled(4, 0f), bn.bias().value().toArray(), "beta starts at 0");
    assertEquals(8, bn.bufferCount());

    Sequential net = new Sequential(new Conv2d(3, 4, 3), bn, new ReLU(), new Flatten(), new BatchNorm1d(16), new Dense(16, 2));
    assertEquals(List.of("1.running_mean", "1.running_var", "4.running_mean", "4.running_var"), new ArrayList<>(net.buffers().keySet()));
    assertEquals(List.of("weight", "bias", "weight", "bias", "weight", "bias", "weight", "bias"), names(net.parameters()),
        "parameters() stays trainable-only");
    Model m = Model.of(net);
    m.to(cpu());
    for (Tensor t : net.buffers().values()) assertEquals(CPU, t.device(), "buffers move with the model");
    bn.forward(randn(1, 3, 2, 4, 3, 3).to(CPU), true);
    assertFalse(bn.runningMean().at(0) == 0f, "the statistics moved");
    m.init(3);
    assertArrayEquals(filled(4, 0f), bn.runningMean().toArray(), "init resets the running statistics");
    String s = m.summary(3, 4, 4);
    assertTrue(s.contains("Non-trainable params: 40") && s.contains("[None, 4, 2, 2]") && s.contains("BatchNorm2d(4)"), s);
    Adam opt = Adam.builder().lr(1e-3).build();
    m.compile(new SoftmaxCrossEntropyLoss(), opt);
    assertEquals(8, m.parameters().size(), "the optimizer is bound to the 8 trainable tensors only");
    assertEquals(8, opt.parameters().size(), "the optimizer is bound to the 8 trainable tensors only");
  }

  @Test
  void batchNormBackwardAfterEvaluationForwardIsRefused() {
    BatchNorm2d bn = new BatchNorm2d(2);
    Tensor x = randn(2, 1, 2, 2, 3, 3);
    Tensor y = bn.forward(x, false);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> bn.backward(y.copy()));
    mentions(e, "BatchNorm2d(2)", "evaluation-mode forward");
    bn.forward(x, true);
    assertEquals(18 * 2, bn.backward(y.copy()).size(), "usable after");
  }

  // ---------------------------------------------------------------- parity java vs cpu

  /** A small CNN touching every new layer: Conv2d (padding, stride, no bias), ReLU, MaxPool2d, BatchNorm2d, AvgPool2d, GlobalAvgPool2d, Flatten, BatchNorm1d, Dense. */
  static Model paritySubject(long seed) {
    return Model.sequential(
        Conv2d.builder(3, 6).kernel(3).padding(1).build(), new ReLU(), new MaxPool2d(2), new BatchNorm2d(6),
        Conv2d.builder(6, 8).kernel(3).stride(2).padding(1).bias(false).build(), new Tanh(), new AvgPool2d(3, 1, 1),
        Conv2d.builder(8, 8).kernel(1).build(), new Tanh(), new GlobalAvgPool2d(), new BatchNorm1d(8), new Dense(8, 5)).init(seed);
    // (the Tanh keeps the 1x1 convolution's bias gradient away from 0: right before a batch norm it would be 0 up to rounding)
  }

  /**
   * The small CNN on every non-reference backend (cpu; cuda where present, else skipped with the
   * reason) against the same model on the Java reference: outputs, input and parameter gradients,
   * batch-norm buffers, evaluation output, then one Adam step (trainOnBatch) and the parameters it
   * leaves.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.jnn.backend.BackendSource#nonReference")
  void layerParityAgainstJava(BackendSource.Candidate c) {
    Device dev = BackendSource.require(c).device();
    Model ref = paritySubject(7), got = paritySubject(7).to(dev);
    try {
      Tensor x = randn(8, 1, 4, 3, 12, 10);
      Tensor dy = randn(9, 1, 4, 5);
      for (int round = 0; round < 2; round++) {   // twice: the second round reuses every cached buffer
        Tensor yr = ref.forward(x, true).copy(), yg = got.forward(x.to(dev), true);
        parity(c + " training output", yr, yg);
        Tensor dxr = ref.backward(dy).copy(), dxg = got.backward(dy.to(dev));
        parity(c + " input gradient", dxr, dxg);
        List<Parameter> pr = ref.parameters(), pg = got.parameters();
        for (int i = 0; i < pr.size(); i++) parity(c + " gradient of parameter " + i + " " + pr.get(i), pr.get(i).grad(), pg.get(i).grad());
        for (Map.Entry<String, Tensor> e : ref.network().buffers().entrySet())
          parity(c + " buffer " + e.getKey(), e.getValue(), got.network().buffers().get(e.getKey()));
        parity(c + " evaluation output", ref.forward(x, false).copy(), got.forward(x.to(dev), false));
      }
      // one optimizer step on both: same loss, same Adam, same batch
      ref.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-2).build());
      got.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-2).build());
      float[] labels = {0, 3, 1, 4};
      Tensor y = Tensor.of(labels, 4, 1);
      float lr = ref.trainOnBatch(x, y), lg = got.trainOnBatch(x.to(dev), y.to(dev));
      assertTrue(Math.abs(lr - lg) <= Tolerances.LAYER_PARITY_RTOL * Math.abs(lr), c + " loss " + lg + " vs java " + lr);
      List<Parameter> pr = ref.parameters(), pg = got.parameters();
      for (int i = 0; i < pr.size(); i++) parity(c + " parameter " + i + " after one Adam step " + pr.get(i), pr.get(i).value(), pg.get(i).value());
    } finally {
      got.close();   // on a GPU: its memory back to the pool
    }
    System.out.printf(Locale.ROOT, "small CNN, java vs %s: at most %.3f of LAYER_PARITY_RTOL used%n", c, parityMarginUsed);
  }

  /** Largest |diff| / bound over the parity comparisons of this JVM (printed: how much of the tolerance is used). */
  static double parityMarginUsed;

  /** got (any device: one copy down) against ref (host), relative to ref's largest magnitude. */
  static void parity(String what, Tensor ref, Tensor got) {
    assertArrayEquals(ref.shape(), got.shape(), what);
    float[] r = ref.toArray(), g = got.toArray();
    double scale = 0, worst = 0;
    for (int i = 0; i < r.length; i++) scale = Math.max(scale, Math.abs(r[i]));
    for (int i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(r[i] - g[i]));
    assertTrue(scale > 0, what + ": all zero, the comparison would be vacuous");
    parityMarginUsed = Math.max(parityMarginUsed, worst / (Tolerances.LAYER_PARITY_RTOL * scale));
    assertTrue(worst <= Tolerances.LAYER_PARITY_RTOL * scale,
        String.format(Locale.ROOT, "%s: differs from java by %.3g (scale %.3g, allowed %.3g)", what, worst, scale, Tolerances.LAYER_PARITY_RTOL * scale));
  }

  // ---------------------------------------------------------------- bad input

  static Model cnn() {
    Model m = Model.sequential(new Conv2d(3, 4, 3), new ReLU(), new MaxPool2d(2), new BatchNorm2d(4), new Flatten(), new Dense(36, 5)).init(1)
        .to(cpu());
    return m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-2).build());
  }

  static Dataset images(int n, long seed) {
    Tensor x = randn(seed, 1, n, 3, 8, 8).to(CPU);
    float[] y = new float[n];
    for (int i = 0; i < n; i++) y[i] = (x.get(i, 0, 3, 3) > 0 ? 1 : 0) + (x.get(i, 2, 5, 2) > 0 ? 2 : 0);   // a pixel rule it can learn
    return new Dataset(x, Tensor.of(CPU, y, n, 1));
  }

  /** The model still trains (fit on 4-D images lowers the loss), evaluates and predicts after an exception. */
  static void stillUsable(Model m) {
    Dataset d = images(64, 31);
    double before = m.evaluate(d).loss();
    m.fit(d, 5, 24);   // 64 = 2 x 24 + 16: the partial last batch too
    double after = m.evaluate(d).loss();
    assertTrue(after < before, "still trains: loss " + before + " -> " + after);
    Tensor p = m.predict(d.features(), 24);
    assertArrayEquals(new int[] {64, 5}, p.shape());
    assertFalse(p.hasNonFinite());
  }

  @Test
  void badInputGivesClearExceptionsAndTheModelStaysUsable() {
    Model m = cnn();
    Supplier<Tensor> x = () -> randn(2, 1, 2, 3, 8, 8).to(CPU);
    m.forward(x.get(), true);   // a valid forward first, so the failures below hit warm layers too
    expect(IllegalArgumentException.class, () -> m.forward(randn(3, 1, 2, 1, 8, 8).to(CPU), true),
        "Conv2d(3->4, 3x3)", "[2, 1, 8, 8]", "1 channels, expected 3");
    expect(IllegalArgumentException.class, () -> m.forward(randn(3, 1, 2, 3, 2, 2).to(CPU), true),
        "Conv2d(3->4, 3x3)", "[2, 3, 2, 2]", "too small", "kernel height 3");
    expect(IllegalArgumentException.class, () -> m.forward(randn(3, 1, 2, 3, 3, 3).to(CPU), true),
        "MaxPool2d(2)", "[2, 4, 1, 1]", "too small");
    expect(IllegalArgumentException.class, () -> m.forward(randn(3, 1, 2, 192).to(CPU), true),
        "Conv2d(3->4, 3x3)", "[2, 192]", "rank 4");
    expect(IllegalArgumentException.class, () -> m.forward(randn(3, 1, 2, 3, 10, 10).to(CPU), true),
        "Dense(36->5)", "[2, 64]");
    expect(IllegalArgumentException.class, () -> m.forward(x.get().to(Device.JAVA), true),
        "Conv2d(3->4, 3x3)", "device java", "cpu");
    expect(IllegalArgumentException.class, () -> m.fit(images(8, 1).to(CPU).slice(0, 8).flatten(), 1, 4), "Conv2d(3->4, 3x3)", "[None, 192]", "rank 4");
    expect(IllegalArgumentException.class, () -> m.predict(randn(4, 1, 5, 3, 8, 7).to(CPU)), "Dense(36->5)", "[None, 24]");
    stillUsable(m);
  }

  @Test
  void backwardBeforeForwardNamesTheLayer() {
    Layer[] layers = {new Conv2d(1, 2, 3), new MaxPool2d(2), new AvgPool2d(2), new GlobalAvgPool2d(), new Flatten(), new BatchNorm1d(2),
        new BatchNorm2d(2)};
    for (Layer l : layers) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> l.backward(Tensor.zeros(2, 2)), l.name());
      mentions(e, l.name(), "before forward");
    }
  }

  @Test
  void everyLayerChecksRankChannelsAndDeviceBeforeAnyKernel() {
    cpu();
    expect(IllegalArgumentException.class, () -> new MaxPool2d(2).forward(randn(1, 1, 2, 8, 8), true), "MaxPool2d(2)", "[2, 8, 8]", "rank 4");
    expect(IllegalArgumentException.class, () -> new AvgPool2d(3, 1).forward(randn(1, 1, 2, 2, 2, 2), true), "AvgPool2d(3, stride 1)", "[2, 2, 2, 2]", "too small");
    expect(IllegalArgumentException.class, () -> new GlobalAvgPool2d().forward(randn(1, 1, 2, 8), true), "GlobalAvgPool2d", "[2, 8]", "rank 4");
    expect(IllegalArgumentException.class, () -> new Flatten().forward(randn(1, 1, 8), true), "Flatten", "[8]", "rank >= 2");
    expect(IllegalArgumentException.class, () -> new BatchNorm1d(4).forward(randn(1, 1, 2, 4, 3, 3), true), "BatchNorm1d(4)", "rank 2");
    expect(IllegalArgumentException.class, () -> new BatchNorm1d(4).forward(randn(1, 1, 2, 5), true), "BatchNorm1d(4)", "[2, 5]", "5 features, expected 4");
    expect(IllegalArgumentException.class, () -> new BatchNorm2d(4).forward(randn(1, 1, 2, 3, 5, 5), true), "BatchNorm2d(4)", "3 channels, expected 4");
    expect(IllegalArgumentException.class, () -> new BatchNorm2d(4).to(CPU).forward(randn(1, 1, 2, 4, 5, 5), true), "BatchNorm2d(4)", "device java");
    expect(IllegalArgumentException.class, () -> new MaxPool2d(2).to(CPU).forward(randn(1, 1, 2, 4, 5, 5), true), "MaxPool2d(2)", "device java");
    Conv2d c = new Conv2d(2, 2, 3);
    c.forward(randn(1, 1, 1, 2, 5, 5), true);
    expect(IllegalArgumentException.class, () -> c.backward(randn(1, 1, 1, 2, 4, 4)), "Conv2d(2->2, 3x3)", "gradOutput [1, 2, 4, 4]", "[1, 2, 3, 3]");
  }

  @Test
  void invalidConfigurationsAreRejected() {
    expect(IllegalArgumentException.class, () -> new Conv2d(0, 2, 3), "Conv2d(0->2)", "channel");
    expect(IllegalArgumentException.class, () -> new Conv2d(1, 2, 0), "Conv2d(1->2)", "kernel size must be >= 1");
    expect(IllegalArgumentException.class, () -> Conv2d.builder(1, 2).kernel(3).stride(0).build(), "stride must be >= 1");
    expect(IllegalArgumentException.class, () -> Conv2d.builder(1, 2).kernel(3).padding(-1).build(), "padding must be >= 0");
    expect(IllegalArgumentException.class, () -> Conv2d.builder(1, 2).kernel(3).dilation(0).build(), "dilation must be >= 1");
    expect(IllegalStateException.class, () -> Conv2d.builder(1, 2).build(), "kernel size is required");
    expect(IllegalArgumentException.class, () -> new MaxPool2d(2, 2, 2), "MaxPool2d(2)", "at most half the kernel");
    expect(IllegalArgumentException.class, () -> new AvgPool2d(0), "AvgPool2d(0)", "kernel size must be >= 1");
    expect(IllegalArgumentException.class, () -> new BatchNorm2d(0), "BatchNorm2d(0)");
    expect(IllegalArgumentException.class, () -> new BatchNorm1d(3, 1.5f, 1e-5f), "BatchNorm1d(3)", "momentum");
    expect(IllegalArgumentException.class, () -> new BatchNorm1d(3, 0.1f, 0f), "BatchNorm1d(3)", "eps");
  }

  @Test
  void buffersAreReusedPerShape() {
    Conv2d c = new Conv2d(2, 3, 3);
    Tensor a = randn(1, 1, 2, 2, 6, 6), b = randn(2, 1, 1, 2, 6, 6);
    Tensor ya = c.forward(a, true);
    Tensor yb = c.forward(b, true);
    assertNotSame(ya, yb, "another shape, other buffers");
    assertSame(ya, c.forward(a, true), "same shape, same output buffer");
    Tensor dxa = c.backward(randn(3, 1, 2, 3, 4, 4));
    assertSame(dxa, c.backward(randn(4, 1, 2, 3, 4, 4)));
  }

  // ---------------------------------------------------------------- helpers

  static Device cpu() {
    Backends.get(CPU);   // must load (strict): a failure here names the missing library
    return CPU;
  }

  static <T extends Throwable> void expect(Class<T> type, Executable e, String... parts) {
    mentions(assertThrows(type, e), parts);
  }

  static void mentions(Throwable e, String... parts) {
    for (String p : parts) assertTrue(e.getMessage() != null && e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
  }

  static void close(double expected, double got, String what) {
    assertTrue(Math.abs(expected - got) <= Tolerances.BATCHNORM_STATS_ATOL + Tolerances.BATCHNORM_STATS_RTOL * Math.abs(expected),
        what + ": " + got + " vs " + expected);
  }

  static List<String> names(List<Parameter> ps) {
    List<String> n = new ArrayList<>();
    for (Parameter p : ps) n.add(p.name());
    return n;
  }

  static float[] filled(int n, float v) { return LayerGradientTest.filled(n, v); }
}
