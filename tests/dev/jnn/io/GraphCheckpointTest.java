package dev.jnn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.data.Dataset;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.Concat;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Dropout;
import dev.jnn.nn.Graph;
import dev.jnn.nn.Layer;
import dev.jnn.nn.LayerRegistry;
import dev.jnn.nn.Parameter;
import dev.jnn.nn.ReLU;
import dev.jnn.nn.Sequential;
import dev.jnn.nn.UserLayers;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.FitOptions;
import dev.jnn.train.Model;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Checkpoints of graph models holding a user-defined layer and a shared layer: round trip, exact resume, unregistered types. */
class GraphCheckpointTest {
  @TempDir Path dir;

  @BeforeAll
  static void register() { UserLayers.register(); }

  /** Two inputs; a user composite (Residual around Dense + Square); a Dense shared by two nodes; dropout; a 3-class head. */
  static Graph network() {
    Dense shared = new Dense(4, 4);
    Graph.Builder g = Graph.builder();
    Graph.Node a = g.input("a", 4), b = g.input("b", 4);
    Graph.Node ha = g.apply("shared", shared, a), hb = g.apply("shared_again", shared, b);
    Graph.Node h = g.apply(new Concat(), ha, g.apply("res", new UserLayers.Residual(new Sequential(new Dense(4, 4), new UserLayers.Square())), hb));
    h = g.apply(new Dropout(0.2f), g.apply(new ReLU(), g.apply(new Dense(8, 8), h)));
    return g.build(g.apply("head", new Dense(8, 3), h));
  }

  static Dataset data(int n, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    float[] a = new float[n * 4], b = new float[n * 4], y = new float[n];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) (rng.nextDouble() - 0.5);
      b[i] = (float) (rng.nextDouble() - 0.5);
    }
    for (int i = 0; i < n; i++) y[i] = (a[4 * i] + b[4 * i + 1] > 0 ? 1 : 0) + (a[4 * i + 2] > 0.25 ? 1 : 0);
    return new Dataset(List.of(Tensor.of(a, n, 4), Tensor.of(b, n, 4)), Tensor.of(y, n, 1));
  }

  static Model compiled(Device d) {
    Model m = Model.of(network()).init(11).to(d);
    return m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(0.01).build());
  }

  static void assertSameWeights(Model x, Model y) {
    Map<String, Parameter> px = x.namedParameters(), py = y.namedParameters();
    assertEquals(px.keySet(), py.keySet());
    for (String k : px.keySet()) assertArrayEquals(px.get(k).value().toArray(), py.get(k).value().toArray(), k);
  }

  @ParameterizedTest
  @ValueSource(strings = {"java", "cpu"})
  void exactResumeOfAGraphWithAUserLayer(String device) throws Exception {
    Device d = Device.parse(device);
    Dataset train = data(96, 1);
    Model straight = compiled(d);
    straight.fit(train, FitOptions.builder().epochs(4).batchSize(16).seed(3).build());

    Model first = compiled(d);
    first.fit(train, FitOptions.builder().epochs(2).batchSize(16).seed(3).build());
    Path f = dir.resolve("graph.safetensors");
    first.save(f);
    Model resumed = Model.load(f).to(d);
    assertTrue(resumed.network() instanceof Graph, "rebuilt as a graph");
    assertEquals(2, resumed.trainingProgress().epochsDone());
    resumed.fit(train, FitOptions.builder().epochs(4).resume(resumed).build());
    assertSameWeights(straight, resumed);   // bit for bit: weights, Adam moments, step count, dropout stream, shuffling
    assertEquals(straight.optimizer().steps(), resumed.optimizer().steps());
  }

  @Test
  void roundTripKeepsNamesGraphAndPredictions() throws Exception {
    Model m = compiled(Device.JAVA);
    m.fit(data(64, 2), 1, 16);
    Path f = dir.resolve("m.safetensors");
    m.save(f);
    SafeTensors.Contents c = SafeTensors.read(f);
    assertTrue(c.tensors().containsKey("res.f.0.weight"), "a user composite's child by dotted path: " + c.tensors().keySet());
    assertTrue(c.tensors().containsKey("shared.weight") && !c.tensors().containsKey("shared_again.weight"), "a shared layer is saved once");
    assertTrue(c.tensors().containsKey("optimizer.head.bias.exp_avg_sq"));
    String arch = c.metadata().get("jnn.architecture");
    assertTrue(arch.contains("\"UserResidual\"") && arch.contains("\"UserSquare\"") && arch.contains("\"shares\":\"shared\""), arch);
    assertTrue(c.metadata().get("jnn.extra_state").contains("dropout_1"), c.metadata().toString());

    Model back = Model.load(f);
    assertSameWeights(m, back);
    Dataset test = data(10, 3);
    Tensor[] xs = {test.input(0), test.input(1)};
    assertArrayEquals(m.predict(xs, 4).toArray(), back.predict(xs, 4).toArray());

    Model fresh = compiled(Device.JAVA);
    fresh.loadWeights(f);
    assertSameWeights(m, fresh);
  }

  /** A type jnn does not know. */
  static final class Unregistered extends Layer {
    @Override public String name() { return "Unregistered"; }
    @Override public Tensor forward(Tensor x, boolean training) { return x; }
    @Override public Tensor backward(Tensor dy) { return dy; }
  }

  @Test
  void unregisteredTypesAreNamedWithHowToRegister() throws Exception {
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input(3);
    Model m = Model.of(g.build(g.apply(new Unregistered(), g.apply(new Dense(3, 2), x))));
    Path f = dir.resolve("u.safetensors");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.save(f));
    assertTrue(e.getMessage().contains(Unregistered.class.getName()) && e.getMessage().contains("LayerRegistry.register"), e.getMessage());
    assertFalse(f.toFile().exists(), "nothing written");

    // a file naming a type this program never registered
    Model ok = Model.sequential(new Dense(3, 2));
    ok.save(f);
    SafeTensors.Contents c = SafeTensors.read(f);
    Map<String, String> meta = new java.util.LinkedHashMap<>(c.metadata());
    meta.put("jnn.architecture", meta.get("jnn.architecture").replace("\"Dense\"", "\"MyAttention\""));
    Map<String, Tensor> ts = new java.util.LinkedHashMap<>();
    for (SafeTensors.Entry en : c.tensors().values()) ts.put(en.name(), en.toTensor());
    Path g2 = dir.resolve("unknown.safetensors");
    SafeTensors.write(g2, ts, meta);
    Exception x2 = assertThrows(Exception.class, () -> Model.load(g2));
    assertTrue(x2.getMessage().contains("'MyAttention'") && x2.getMessage().contains("LayerRegistry.register"), x2.getMessage());
    assertTrue(LayerRegistry.isRegistered("UserResidual"));
  }

  @Test
  void aVersionOneSequentialCheckpointStillLoads() throws Exception {
    // written as jnn wrote Sequential checkpoints before graphs: a layers array, dropout state inline
    Map<String, String> meta = new java.util.LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put("jnn.format_version", "1");
    meta.put("jnn.architecture", "{\"class\":\"Sequential\",\"seed\":5,\"layers\":[{\"type\":\"Dense\",\"config\":{\"in_features\":2,\"out_features\":2,"
        + "\"init\":\"XAVIER_UNIFORM\"}},{\"type\":\"Dropout\",\"config\":{\"p\":0.5},\"state\":{\"seed\":77,\"counter\":12}}]}");
    Map<String, Tensor> ts = new java.util.LinkedHashMap<>();
    ts.put("0.weight", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
    ts.put("0.bias", Tensor.of(new float[] {5, 6}, 2));
    Path f = dir.resolve("v1.safetensors");
    SafeTensors.write(f, ts, meta);
    Model m = Model.load(f);
    Sequential s = m.sequential();
    assertArrayEquals(new float[] {1, 2, 3, 4}, ((Dense) s.layer(0)).weight().value().toArray());
    assertEquals(77, ((Dropout) s.layer(1)).seed());
    assertEquals(12, ((Dropout) s.layer(1)).counter());
    assertEquals(5, m.seed());
  }
}
