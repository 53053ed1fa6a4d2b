package dev.jnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.data.Dataset;
import dev.jnn.loss.BceLoss;
import dev.jnn.loss.MseLoss;
import dev.jnn.nn.Add;
import dev.jnn.nn.Concat;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Graph;
import dev.jnn.nn.Layer;
import dev.jnn.nn.LayerRegistry;
import dev.jnn.nn.ReLU;
import dev.jnn.nn.Sequential;
import dev.jnn.nn.Sigmoid;
import dev.jnn.nn.Tanh;
import dev.jnn.optim.Adam;
import dev.jnn.optim.Sgd;
import dev.jnn.profile.ProfileReport;
import dev.jnn.profile.Profiler;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's composition examples, as written there (a residual graph, a two-input model with a
 * shared layer, a user's composite layer saved, loaded and profiled): if the README's code stops
 * working, this fails.
 */
class ReadmeExamplesTest {
  @TempDir Path dir;

  static Dataset regression(int n, int f, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] x = new float[n * f], y = new float[n];
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int k = 0; k < f; k++) s += (x[i * f + k] = (float) (rng.nextDouble() - 0.5)) * (k % 3 - 1);
      y[i] = (float) Math.tanh(2 * s);
    }
    return new Dataset(Tensor.of(x, n, f), Tensor.of(y, n, 1));
  }

  @Test
  void residualNetwork() {
    Dataset train16 = regression(256, 16, 1);
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input("x", 16);                                   // (batch, 16)
    Graph.Node h = g.apply(new ReLU(), g.apply(new Dense(16, 16), x));  // nodes "dense_1", "relu_1"
    h = g.apply(new Add(), h, x);                                      // x + relu(dense(x))
    Model resnet = Model.of(g.build(g.apply(new Dense(16, 1), h))).init(1);
    resnet.compile(new MseLoss(), Adam.builder().lr(1e-3).build());
    double before = resnet.evaluate(train16).loss();
    resnet.fit(train16, 20, 32);
    double after = resnet.evaluate(train16).loss();
    assertTrue(after < 0.5 * before, before + " -> " + after);
    assertEquals(List.of("dense_1.weight", "dense_1.bias", "dense_2.weight", "dense_2.bias"), List.copyOf(resnet.namedParameters().keySet()));
  }

  @Test
  void twoInputsAndASharedLayer() {
    int n = 512;
    SplittableRandom rng = new SplittableRandom(3);
    float[] l = new float[n * 3], r = new float[n * 3], y = new float[n];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < 3; k++) {
        l[i * 3 + k] = (float) (rng.nextDouble() - 0.5);
        r[i * 3 + k] = (float) (rng.nextDouble() - 0.5);
      }
      y[i] = l[i * 3] + l[i * 3 + 1] > r[i * 3] + r[i * 3 + 1] ? 1 : 0;   // which side is larger: the same function of both inputs
    }
    Tensor left = Tensor.of(l, n, 3), right = Tensor.of(r, n, 3), labels = Tensor.of(y, n, 1);
    Graph.Builder g = Graph.builder();
    Graph.Node a = g.input("a", 3), b = g.input("b", 3);
    Dense shared = new Dense(3, 8);
    Graph.Node both = g.apply(new Concat(), g.apply(shared, a), g.apply(shared, b));   // (batch, 16)
    Model pair = Model.of(g.build(g.apply(new Sigmoid(), g.apply(new Dense(16, 1), both))));
    pair.compile(new BceLoss(), Adam.builder().lr(1e-2).build());
    pair.fit(new Dataset(List.of(left, right), labels), 10, 32);
    Tensor p = pair.predict(new Tensor[] {left, right}, 256);
    assertArrayEquals(new int[] {n, 1}, p.shape());
    double acc = pair.evaluate(new Dataset(List.of(left, right), labels)).accuracy();
    assertTrue(acc > 0.9, "accuracy " + acc);
    assertEquals(4, pair.parameters().size(), "the shared Dense counted once");
  }

  static final class Residual extends Layer {                // y = x + f(x)
    private final Layer f;
    private final Add add = new Add();
    private final Tensor[] pair = new Tensor[2];
    private Tensor dx;
    Residual(Layer f) { this.f = f; }
    Layer f() { return f; }
    public String name() { return "Residual(" + f.name() + ")"; }
    public List<Child> children() { return List.of(child("f", f), child("add", add)); }
    public int[] outputShape(int[] s) { return f.outputShape(s); }
    public Tensor forward(Tensor x, boolean training) {
      pair[0] = x;
      pair[1] = f.call(x, training);
      return add.call(pair, training);
    }
    public Tensor backward(Tensor dy) {                     // x fans out: its two gradients are summed
      Tensor[] d = add.callBackwardAll(dy);
      Tensor df = f.callBackward(d[1]);
      if (dx == null || !dx.sameShape(df)) { Tensor.closeAll(dx); dx = Tensor.zeros(device(), df.shape()); }
      backend.add(d[0], df, dx);
      return dx;
    }
    protected void onDeviceChanged() { Tensor.closeAll(dx); dx = null; }
  }

  @Test
  void ownCompositeSavedLoadedAndProfiled() throws Exception {
    Dataset train8 = regression(128, 8, 2);
    LayerRegistry.register("Residual", Residual.class,
        (layer, config) -> config.putLayer("f", layer.f()),      // everything the constructor needs
        config -> new Residual(config.getLayer("f")));
    Model m = Model.sequential(new Residual(new Sequential(new Dense(8, 8), new Tanh())), new Dense(8, 1));
    m.compile(new MseLoss(), Sgd.builder().lr(0.05).build());
    m.fit(train8, 5, 16);
    m.save(dir.resolve("residual.safetensors"));                 // weights "0.f.0.weight", ...; the architecture as JSON
    Model back = Model.load(dir.resolve("residual.safetensors"));
    assertEquals(m.namedParameters().keySet(), back.namedParameters().keySet());
    assertTrue(back.namedParameters().containsKey("0.f.0.weight"));
    assertArrayEquals(m.predict(train8.features()).toArray(), back.predict(train8.features()).toArray());
    ProfileReport r;
    try (Profiler p = Profiler.start(back.network())) {
      back.fit(train8, 1, 16);
      r = p.report();
    }
    assertTrue(r.layers().containsKey("Residual#1") && r.layers().containsKey("Dense#1") && r.layers().containsKey("Tanh#1"), r.layers().keySet().toString());
  }
}
