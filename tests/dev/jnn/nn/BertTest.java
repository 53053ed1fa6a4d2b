package dev.jnn.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.GradientCheck;
import dev.jnn.data.Dataset;
import dev.jnn.io.HuggingFaceBert;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.optim.Adam;
import dev.jnn.profile.ProfileReport;
import dev.jnn.profile.Profiler;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Model;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The BERT-style encoder: gradients, Hugging Face names, a sequence task it must learn, and the profiler's view of it. */
class BertTest {
  @TempDir Path dir;

  static Bert tiny(int types) {
    return Bert.builder(7).hidden(4).layers(1).heads(2).intermediate(5).maxPositions(6).typeVocabulary(types).dropout(0).build();
  }

  static Tensor ids(long seed, int b, int t, int v) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[b * t];
    for (int i = 0; i < x.length; i++) x[i] = r.nextInt(v);
    return Tensor.of(x, b, t);
  }

  @Test
  void gradientsOfEveryParameter() {
    Bert bert = tiny(2);
    bert.init(3);
    Tensor keep = Tensor.of(new float[] {1, 1, 1, 0, 1, 1, 1, 1}, 2, 4);
    GradientCheck.Report r = GradientCheck.layer(bert, new Tensor[] {ids(1, 2, 4, 7), keep, ids(2, 2, 4, 2)}, GradientCheck.Options.defaults());
    r.assertPassed();
    assertEquals(bert.parameterCount(), r.checked(), "every parameter element (ids and mask have no gradient)");
  }

  /** A Hugging Face BERT state dict, its bytes laid out here from the safetensors specification (F32, little-endian). */
  static void writeHf(Path f, Map<String, float[]> tensors, Map<String, int[]> shapes) throws IOException {
    StringBuilder h = new StringBuilder("{");
    long off = 0;
    for (String n : tensors.keySet()) {
      long len = 4L * tensors.get(n).length;
      if (h.length() > 1) h.append(',');
      h.append('"').append(n).append("\":{\"dtype\":\"F32\",\"shape\":").append(java.util.Arrays.toString(shapes.get(n)).replace(" ", ""))
          .append(",\"data_offsets\":[").append(off).append(',').append(off + len).append("]}");
      off += len;
    }
    h.append('}');
    while ((h.length() + 8) % 8 != 0) h.append(' ');
    byte[] hb = h.toString().getBytes(StandardCharsets.UTF_8);
    ByteBuffer bb = ByteBuffer.allocate(8 + hb.length + (int) off).order(ByteOrder.LITTLE_ENDIAN);
    bb.putLong(hb.length).put(hb);
    for (float[] v : tensors.values()) for (float x : v) bb.putFloat(x);
    Files.write(f, bb.array());
  }

  @Test
  void huggingFaceNamesLoadByTheMapping() throws Exception {
    Bert bert = tiny(2);
    BertPooler pooler = new BertPooler(4);
    int d = 4, ff = 5;
    Map<String, float[]> t = new LinkedHashMap<>();
    Map<String, int[]> s = new LinkedHashMap<>();
    float[] counter = {0};
    java.util.function.BiConsumer<String, int[]> add = (n, shape) -> {
      float[] v = new float[Tensor.sizeOf(shape)];
      for (int i = 0; i < v.length; i++) v[i] = (counter[0] += 0.001f);
      t.put(n, v);
      s.put(n, shape);
    };
    add.accept("bert.embeddings.word_embeddings.weight", new int[] {7, d});
    add.accept("bert.embeddings.position_embeddings.weight", new int[] {6, d});
    add.accept("bert.embeddings.token_type_embeddings.weight", new int[] {2, d});
    add.accept("bert.embeddings.LayerNorm.gamma", new int[] {d});
    add.accept("bert.embeddings.LayerNorm.beta", new int[] {d});
    for (String p : new String[] {"query", "key", "value"}) {
      add.accept("bert.encoder.layer.0.attention.self." + p + ".weight", new int[] {d, d});
      add.accept("bert.encoder.layer.0.attention.self." + p + ".bias", new int[] {d});
    }
    add.accept("bert.encoder.layer.0.attention.output.dense.weight", new int[] {d, d});
    add.accept("bert.encoder.layer.0.attention.output.dense.bias", new int[] {d});
    add.accept("bert.encoder.layer.0.attention.output.LayerNorm.weight", new int[] {d});
    add.accept("bert.encoder.layer.0.attention.output.LayerNorm.bias", new int[] {d});
    add.accept("bert.encoder.layer.0.intermediate.dense.weight", new int[] {ff, d});
    add.accept("bert.encoder.layer.0.intermediate.dense.bias", new int[] {ff});
    add.accept("bert.encoder.layer.0.output.dense.weight", new int[] {d, ff});
    add.accept("bert.encoder.layer.0.output.dense.bias", new int[] {d});
    add.accept("bert.encoder.layer.0.output.LayerNorm.weight", new int[] {d});
    add.accept("bert.encoder.layer.0.output.LayerNorm.bias", new int[] {d});
    add.accept("bert.pooler.dense.weight", new int[] {d, d});
    add.accept("bert.pooler.dense.bias", new int[] {d});
    add.accept("cls.predictions.bias", new int[] {7});
    Path f = dir.resolve("model.safetensors");
    writeHf(f, t, s);
    HuggingFaceBert.Report r = HuggingFaceBert.load(f, bert, pooler);
    assertEquals(List.of("cls.predictions.bias"), r.unused());
    Map<String, Parameter> p = bert.namedParameters();
    assertArrayEquals(t.get("bert.embeddings.LayerNorm.gamma"), p.get("embeddings.LayerNorm.weight").value().toArray());
    float[] inProj = p.get("encoder.layers.0.self_attn.in_proj_weight").value().toArray();
    assertArrayEquals(t.get("bert.encoder.layer.0.attention.self.key.weight"), java.util.Arrays.copyOfRange(inProj, 16, 32), "key rows [d, 2d)");
    assertArrayEquals(t.get("bert.encoder.layer.0.attention.self.value.bias"),
        java.util.Arrays.copyOfRange(p.get("encoder.layers.0.self_attn.in_proj_bias").value().toArray(), 8, 12));
    assertArrayEquals(t.get("bert.encoder.layer.0.intermediate.dense.weight"), p.get("encoder.layers.0.linear1.weight").value().toArray());
    assertArrayEquals(t.get("bert.encoder.layer.0.output.LayerNorm.bias"), p.get("encoder.layers.0.norm2.bias").value().toArray());
    assertArrayEquals(t.get("bert.pooler.dense.weight"), pooler.namedParameters().get("dense.weight").value().toArray());

    // a tensor of the wrong shape is named and nothing changes
    s.put("bert.encoder.layer.0.output.dense.weight", new int[] {ff, d});
    writeHf(f, t, s);
    Bert other = tiny(2);
    float[] before = other.namedParameters().get("embeddings.word_embeddings.weight").value().toArray();
    IOException e = assertThrows(IOException.class, () -> HuggingFaceBert.load(f, other, null));
    assertTrue(e.getMessage().contains("encoder.layer.0.output.dense.weight") && e.getMessage().contains("[5, 4]"), e.getMessage());
    assertArrayEquals(before, other.namedParameters().get("embeddings.word_embeddings.weight").value().toArray());
  }

  /** Reverse a sequence: position t must output the token at T-1-t, which only attention across positions can fetch. */
  @ParameterizedTest
  @ValueSource(strings = {"java", "cpu"})
  void aTinyEncoderLearnsToReverseSequences(String device) {
    int n = 512, t = 6, v = 8;
    SplittableRandom rng = new SplittableRandom(4);
    float[] x = new float[n * t], y = new float[n * t], keep = new float[n * t];
    for (int i = 0; i < n; i++)
      for (int j = 0; j < t; j++) {
        x[i * t + j] = rng.nextInt(v);
        keep[i * t + j] = 1;
      }
    for (int i = 0; i < n; i++) for (int j = 0; j < t; j++) y[i * t + j] = x[i * t + t - 1 - j];
    Dataset data = new Dataset(List.of(Tensor.of(x, n, t), Tensor.of(keep, n, t)), Tensor.of(y, n, t));
    Graph.Builder g = Graph.builder();
    Graph.Node ids = g.input("ids", t), mask = g.input("mask", t);
    Bert bert = Bert.builder(v).hidden(32).layers(2).heads(4).intermediate(64).maxPositions(t).typeVocabulary(0).dropout(0).build();
    Graph.Node seq = g.apply("bert", bert, ids, mask);
    Model m = Model.of(g.build(g.apply("head", new Dense(32, v), seq))).init(1).to(Device.parse(device));
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(3e-3).build());
    m.fit(data, 40, 32);
    double acc = m.evaluate(data).accuracy();
    assertTrue(acc >= 0.95, "token accuracy " + acc + " on " + device);

    ProfileReport r;
    try (Profiler p = Profiler.start(m.network())) {
      m.trainOnBatch(new Tensor[] {data.input(0).rows(0, 32).to(m.device()), data.input(1).rows(0, 32).to(m.device())}, data.targets().rows(0, 32).to(m.device()));
      r = p.report();
    }
    for (String l : List.of("Bert#1", "Embeddings#1", "Embedding#1", "PositionalEmbedding#1", "TransformerEncoder#1", "TransformerEncoderLayer#2",
        "MultiHeadAttention#2", "LayerNorm#5", "GELU#2", "Dense#7"))
      assertTrue(r.layers().containsKey(l), l + " in " + r.layers().keySet());
    assertTrue(r.kernels().containsKey("gemm_batched") && r.kernels().containsKey("masked_softmax_forward") && r.kernels().containsKey("layernorm_backward"),
        r.kernels().keySet().toString());
  }

  @Test
  void gatherPositionsPicksAndScatters() {
    GatherPositions gp = new GatherPositions();
    Tensor x = GraphTest.randn(1, 2, 3, 2), pos = Tensor.of(new float[] {2, 0, 1, 1}, 2, 2);
    Tensor y = gp.forward(new Tensor[] {x, pos}, true);
    float[] xs = x.toArray();
    assertArrayEquals(new float[] {xs[4], xs[5], xs[0], xs[1], xs[8], xs[9], xs[8], xs[9]}, y.toArray());
    Tensor[] d = gp.backwardAll(Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 2));
    assertArrayEquals(new float[] {3, 4, 0, 0, 1, 2, 0, 0, 12, 14, 0, 0}, d[0].toArray(), "position 1 of batch 1 taken twice: summed");
    GradientCheck.layer(gp, new Tensor[] {x, pos}, GradientCheck.Options.defaults()).assertPassed();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> gp.forward(new Tensor[] {x, Tensor.of(new float[] {3, 0, 0, 0}, 2, 2)}, true));
    assertTrue(e.getMessage().contains("[0, 3)"), e.getMessage());
  }
}
