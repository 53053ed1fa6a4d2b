package dev.jnn.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.data.Dataset;
import dev.jnn.loss.BceLoss;
import dev.jnn.loss.MseLoss;
import dev.jnn.optim.Adam;
import dev.jnn.optim.Sgd;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Evaluation;
import dev.jnn.train.Model;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The functional graph's semantics: forward in topological order, backward in reverse with
 * fan-out gradients summed, shared layers, several inputs and outputs, build-time errors.
 */
class GraphTest {
  /** Standard normal values from a seed. */
  static Tensor randn(long seed, int... shape) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] d = new float[Tensor.sizeOf(shape)];
    for (int i = 0; i < d.length; i += 2) {
      double[] z = Init.gaussianPair(rng);
      d[i] = (float) z[0];
      if (i + 1 < d.length) d[i + 1] = (float) z[1];
    }
    return Tensor.of(Device.JAVA, d, shape);
  }

  static float[] arr(Tensor t) { return t.toArray(); }

  /** x -> Dense -> ReLU -> (+ x) -> Dense: a residual MLP block. */
  @Test
  void residualMlpEqualsTheSameComputationWrittenByHand() {
    Dense d1 = new Dense(8, 8), d2 = new Dense(8, 3);
    ReLU relu = new ReLU();
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input("x", 8);
    Graph.Node h = g.apply(relu, g.apply(d1, x));
    Graph.Node y = g.apply(d2, g.apply(new Add(), h, x));
    Graph net = g.build(y).init(7);

    // the same weights in separate layers, composed by hand
    Dense e1 = new Dense(8, 8), e2 = new Dense(8, 3);
    e1.weight().value().copyFrom(d1.weight().value());
    e1.bias().value().copyFrom(randn(11, 8));
    d1.bias().value().copyFrom(e1.bias().value());
    e2.weight().value().copyFrom(d2.weight().value());
    e2.bias().value().copyFrom(d2.bias().value());
    ReLU r2 = new ReLU();

    Tensor in = randn(1, 5, 8), dy = randn(2, 5, 3);
    Tensor out = net.forward(in, true);
    Tensor a = r2.forward(e1.forward(in, true), true);
    Tensor sum = Tensor.zeros(5, 8);
    for (int i = 0; i < sum.size(); i++) sum.data()[i] = a.at(i) + in.at(i);
    Tensor expected = e2.forward(sum, true);
    assertArrayEquals(arr(expected), arr(out), "forward");

    Tensor dx = net.backward(dy);
    Tensor dSum = e2.backward(dy);
    float[] dSumCopy = arr(dSum);
    Tensor dx1 = e1.backward(r2.backward(dSum));
    float[] want = new float[dx1.size()];
    for (int i = 0; i < want.length; i++) want[i] = dSumCopy[i] + dx1.at(i);   // x fans out to Dense and Add: the two gradients summed
    assertArrayEquals(want, arr(dx), "input gradient");
    assertArrayEquals(arr(e1.weight().grad()), arr(d1.weight().grad()), "first weight gradient");
    assertArrayEquals(arr(e1.bias().grad()), arr(d1.bias().grad()), "first bias gradient");
    assertArrayEquals(arr(e2.weight().grad()), arr(d2.weight().grad()), "second weight gradient");
    assertEquals(List.of("dense_1.weight", "dense_1.bias", "dense_2.weight", "dense_2.bias"), List.copyOf(net.namedParameters().keySet()));
  }

  @Test
  void aSharedLayersGradientIsTheSumOfItsTwoUses() {
    Dense shared = new Dense(4, 3);
    Graph.Builder g = Graph.builder();
    Graph.Node a = g.input("a", 4), b = g.input("b", 4);
    Graph.Node ya = g.apply("left", shared, a), yb = g.apply("right", shared, b);
    Graph net = g.build(g.apply(new Multiply(), ya, yb)).init(3);
    shared.bias().value().copyFrom(randn(9, 3));
    assertEquals(2, net.parameters().size(), "the shared layer's parameters are listed once");
    assertEquals(List.of("left.weight", "left.bias"), List.copyOf(net.namedParameters().keySet()));

    Tensor xa = randn(1, 6, 4), xb = randn(2, 6, 4), dy = randn(3, 6, 3);
    Tensor y = net.forward(new Tensor[] {xa, xb}, true);
    Tensor[] dx = net.backwardAll(dy);

    // by hand: two layers with the same weights; y = (xa W^T + b) * (xb W^T + b)
    Dense l = new Dense(4, 3), r = new Dense(4, 3);
    for (Dense c : new Dense[] {l, r}) {
      c.weight().value().copyFrom(shared.weight().value());
      c.bias().value().copyFrom(shared.bias().value());
    }
    Tensor ya2 = l.forward(xa, true).copy(), yb2 = r.forward(xb, true).copy();
    float[] prod = new float[ya2.size()], dya = new float[ya2.size()], dyb = new float[ya2.size()];
    for (int i = 0; i < prod.length; i++) {
      prod[i] = ya2.at(i) * yb2.at(i);
      dya[i] = dy.at(i) * yb2.at(i);
      dyb[i] = dy.at(i) * ya2.at(i);
    }
    assertArrayEquals(prod, arr(y), "forward uses the same weights at both nodes");
    Tensor dxa = l.backward(Tensor.of(dya, 6, 3)).copy(), dxb = r.backward(Tensor.of(dyb, 6, 3)).copy();
    assertArrayEquals(arr(dxa), arr(dx[0]), "gradient of input a");
    assertArrayEquals(arr(dxb), arr(dx[1]), "gradient of input b");
    float[] gw = new float[12], gb = new float[3];
    for (int i = 0; i < 12; i++) gw[i] = l.weight().grad().at(i) + r.weight().grad().at(i);
    for (int i = 0; i < 3; i++) gb[i] = l.bias().grad().at(i) + r.bias().grad().at(i);
    assertArrayEquals(gw, arr(shared.weight().grad()), "weight gradient: the sum of both uses");
    assertArrayEquals(gb, arr(shared.bias().grad()), "bias gradient: the sum of both uses");

    // a second step after an optimizer update still reads the (updated) shared weights at both nodes
    Sgd sgd = Sgd.builder().lr(0.1).build();
    sgd.bind(net.parameters());
    sgd.step();
    Tensor y2 = net.forward(new Tensor[] {xa, xb}, true);
    for (Dense c : new Dense[] {l, r}) c.weight().value().copyFrom(shared.weight().value());
    for (Dense c : new Dense[] {l, r}) c.bias().value().copyFrom(shared.bias().value());
    Tensor la = l.forward(xa, true).copy(), rb = r.forward(xb, true);
    for (int i = 0; i < prod.length; i++) assertEquals(la.at(i) * rb.at(i), y2.at(i), 0f, "after the update, element " + i);
  }

  /** y = sigmoid(w . [f(a), g(b)]): the label depends on both inputs, so only a model reading both can fit it. */
  @ParameterizedTest
  @ValueSource(strings = {"java", "cpu"})
  void aTwoInputModelTrains(String device) {
    int n = 1024;
    SplittableRandom rng = new SplittableRandom(5);
    float[] a = new float[n * 3], b = new float[n * 2], t = new float[n];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < 3; k++) a[i * 3 + k] = (float) (2 * rng.nextDouble() - 1);
      for (int k = 0; k < 2; k++) b[i * 2 + k] = (float) (2 * rng.nextDouble() - 1);
      t[i] = a[i * 3] * b[i * 2 + 1] > 0 ? 1f : 0f;   // an XOR of signs across the two inputs
    }
    Dataset data = new Dataset(List.of(Tensor.of(a, n, 3), Tensor.of(b, n, 2)), Tensor.of(t, n, 1));
    Graph.Builder g = Graph.builder();
    Graph.Node xa = g.input("a", 3), xb = g.input("b", 2);
    Graph.Node h = g.apply(new Concat(), g.apply(new Dense(3, 16), xa), g.apply(new Dense(2, 16), xb));
    h = g.apply(new Tanh(), g.apply(new Dense(32, 16), g.apply(new Tanh(), h)));   // mixes the two branches: an additive model cannot fit the XOR
    h = g.apply(new Dense(16, 1), h);
    Model m = Model.of(g.build(g.apply(new Sigmoid(), h))).init(1).to(Device.parse(device));
    m.compile(new BceLoss(), Adam.builder().lr(0.02).build());
    assertEquals(2, m.inputCount());
    Evaluation before = m.evaluate(data);
    m.fit(data, 60, 32);
    Evaluation after = m.evaluate(data);
    assertTrue(after.accuracy() >= 0.93, "two-input model accuracy " + after.accuracy() + " (before: " + before.accuracy() + ")");
    Tensor p = m.predict(new Tensor[] {data.input(0).to(m.device()), data.input(1).to(m.device())}, 100);
    assertArrayEquals(new int[] {n, 1}, p.shape());
    assertTrue(m.summary().contains("concat_1"), m.summary());
  }

  @Test
  void severalOutputs() {
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input(4);
    Graph.Node h = g.apply(new Dense(4, 4), x);
    Graph net = g.build(g.apply(new Tanh(), h), g.apply(new Dense(4, 2), h)).init(2);   // h fans out to two outputs
    Tensor in = randn(1, 3, 4);
    Tensor[] ys = net.forwardOutputs(new Tensor[] {in}, true);
    assertArrayEquals(new int[] {3, 4}, ys[0].shape());
    assertArrayEquals(new int[] {3, 2}, ys[1].shape());
    Tensor[] dx = net.backwardOutputs(new Tensor[] {randn(2, 3, 4), randn(3, 3, 2)});
    assertArrayEquals(new int[] {3, 4}, dx[0].shape());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.forward(in, true));
    assertTrue(e.getMessage().contains("2 outputs") && e.getMessage().contains("forwardOutputs"), e.getMessage());
  }

  @Test
  void graphsNestAndSequentialsNestInGraphs() {
    Sequential block = new Sequential(new Dense(6, 6), new ReLU());
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input("x", 6);
    Graph inner = g.build(g.apply("res", new Add(), g.apply("block", block, x), x));
    Sequential outer = new Sequential(inner, new Dense(6, 2));
    assertEquals(List.of("0.block.0.weight", "0.block.0.bias", "1.weight", "1.bias"), List.copyOf(outer.namedParameters().keySet()));
    Tensor y = outer.forward(randn(1, 2, 6), true);
    assertArrayEquals(new int[] {2, 2}, y.shape());
    assertTrue(outer.allLayers().contains(block.layer(0)), "the walk reaches layers inside a graph inside a Sequential");
  }

  // ---------------------------------------------------------------- build-time errors

  static String buildError(Runnable r) { return assertThrows(IllegalArgumentException.class, r::run).getMessage(); }

  @Test
  void aCycleIsAnErrorNamingTheNodes() {
    String m = buildError(() -> {
      Graph.Builder g = Graph.builder();
      g.input("x", 4);
      g.connect("a", new Add(), "x", "b").connect("b", new ReLU(), "a");
      g.build("b");
    });
    assertTrue(m.contains("cycle") && m.contains("a") && m.contains("b"), m);
  }

  @Test
  void anUnusedInputIsAnError() {
    String m = buildError(() -> {
      Graph.Builder g = Graph.builder();
      Graph.Node x = g.input("x", 4);
      g.input("unused", 4);
      g.build(g.apply(new ReLU(), x));
    });
    assertTrue(m.contains("unused") && m.contains("reach no output"), m);
  }

  @Test
  void aDanglingNodeIsAnError() {
    String m = buildError(() -> {
      Graph.Builder g = Graph.builder();
      Graph.Node x = g.input("x", 4);
      g.apply("dangling", new Tanh(), x);
      g.build(g.apply(new ReLU(), x));
    });
    assertTrue(m.contains("dangling") && m.contains("reach no output"), m);
  }

  @Test
  void aShapeMismatchNamesTheNodeAndShapes() {
    String m = buildError(() -> {
      Graph.Builder g = Graph.builder();
      Graph.Node x = g.input("x", 4);
      g.apply("proj", new Dense(5, 2), x);
    });
    assertTrue(m.contains("'proj'") && m.contains("Dense(5->2)") && m.contains("x [None, 4]"), m);
    String add = buildError(() -> {
      Graph.Builder g = Graph.builder();
      Graph.Node x = g.input("x", 4), y = g.input("y", 3);
      g.apply("sum", new Add(), x, y);
    });
    assertTrue(add.contains("'sum'") && add.contains("[None, 4]") && add.contains("[None, 3]"), add);
    String byName = buildError(() -> {
      Graph.Builder g = Graph.builder();
      g.input("x", 4);
      g.connect("proj", new Dense(3, 2), "x").build("proj");
    });
    assertTrue(byName.contains("'proj'") && byName.contains("[None, 4]"), byName);
  }

  @Test
  void otherBuildErrors() {
    assertTrue(buildError(() -> {
      Graph.Builder g = Graph.builder();
      g.apply("one", new Add(), g.input("x", 4));
    }).contains("takes 2 or more input(s)"));
    assertTrue(buildError(() -> {
      Graph.Builder g = Graph.builder();
      g.input("x", 4);
      g.connect("r", new ReLU(), "nope").build("r");
    }).contains("'nope', which is not a node"));
    assertTrue(buildError(() -> {
      Graph.Builder g = Graph.builder();
      g.input("x", 4);
      g.input("x", 4);
    }).contains("exists already"));
    String bn = buildError(() -> {
      BatchNorm1d b = new BatchNorm1d(4);
      Graph.Builder g = Graph.builder();
      Graph.Node x = g.input("x", 4);
      g.build(g.apply(new Add(), g.apply(b, x), g.apply(b, x)));
    });
    assertTrue(bn.contains("buffers") && bn.contains("two instances"), bn);
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input("x", 4);
    Graph.Builder other = Graph.builder();
    assertTrue(buildError(() -> other.apply(new ReLU(), x)).contains("another graph builder"));
  }

  @Test
  void runtimeInputChecksNameTheInput() {
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input("pixels", 4);
    Graph net = g.build(g.apply(new ReLU(), x));
    String m = assertThrows(IllegalArgumentException.class, () -> net.forward(randn(1, 2, 5), false)).getMessage();
    assertTrue(m.contains("'pixels'") && m.contains("[2, 5]") && m.contains("[None, 4]"), m);
    assertTrue(buildError(() -> {
      Graph.Builder b = Graph.builder();
      b.input("x", 4);
      b.build(new Graph.Node[0]);
    }).contains("no outputs"));
  }

  @Test
  void aGraphModelTrainsWithMseAndKeepsItsInputGradientOff() {
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input("x", 2);
    Dense first = new Dense(2, 8);
    Graph net = g.build(g.apply(new Dense(8, 1), g.apply(new Tanh(), g.apply(first, x))));
    Model m = Model.of(net).init(3);
    m.compile(new MseLoss(), Adam.builder().lr(0.01).build());
    assertTrue(!first.inputGradRequired(), "compile: the layer reading the model input computes no input gradient");
    float[] xs = new float[200], ys = new float[100];
    SplittableRandom rng = new SplittableRandom(1);
    for (int i = 0; i < 100; i++) {
      xs[2 * i] = (float) rng.nextDouble();
      xs[2 * i + 1] = (float) rng.nextDouble();
      ys[i] = xs[2 * i] - 2 * xs[2 * i + 1];
    }
    Dataset d = new Dataset(Tensor.of(xs, 100, 2), Tensor.of(ys, 100, 1));
    double l0 = m.evaluate(d).loss();
    m.fit(d, 50, 10);
    double l1 = m.evaluate(d).loss();
    assertTrue(l1 < l0 * 0.05, "loss " + l0 + " -> " + l1);
    assertSame(net, m.network());
  }
}
