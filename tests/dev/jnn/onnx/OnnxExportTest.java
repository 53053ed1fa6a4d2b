package dev.jnn.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.jnn.Tolerances;
import dev.jnn.nn.Add;
import dev.jnn.nn.AvgPool2d;
import dev.jnn.nn.BatchNorm1d;
import dev.jnn.nn.BatchNorm2d;
import dev.jnn.nn.Bert;
import dev.jnn.nn.Concat;
import dev.jnn.nn.Conv2d;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Dropout;
import dev.jnn.nn.GELU;
import dev.jnn.nn.GRU;
import dev.jnn.nn.GlobalAvgPool1d;
import dev.jnn.nn.GlobalAvgPool2d;
import dev.jnn.nn.Graph;
import dev.jnn.nn.Layer;
import dev.jnn.nn.LayerNorm;
import dev.jnn.nn.LeakyReLU;
import dev.jnn.nn.MaxPool2d;
import dev.jnn.nn.MultiHeadAttention;
import dev.jnn.nn.Multiply;
import dev.jnn.nn.ReLU;
import dev.jnn.nn.Sequential;
import dev.jnn.nn.Sigmoid;
import dev.jnn.nn.Softmax;
import dev.jnn.nn.Tanh;
import dev.jnn.nn.TimeDistributed;
import dev.jnn.nn.TransformerEncoderLayer;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.BertExamples;
import dev.jnn.train.CnnExample;
import dev.jnn.train.DenseExample;
import dev.jnn.train.Model;
import dev.jnn.train.SequenceExamples;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every exported workload run in ONNX Runtime (graph optimizations off and on, batch sizes other
 * than any used while building) and compared with jnn's predict on the same inputs, within
 * {@link Tolerances#ONNX_RTOL} of the output's largest |value|.
 */
@Tag("build-tree")   // needs ONNX Runtime, a test-scope jar of the Maven build: not in the offline bundle (bin/test excludes the tag)
class OnnxExportTest {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  private static float[] uniform(SplittableRandom r, int n, double lo, double hi) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * r.nextDouble());
    return a;
  }

  private static float[] ids(SplittableRandom r, int n, int vocabulary) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) a[i] = r.nextInt(vocabulary);
    return a;
  }

  /** Runs the model in ORT with the given optimization level; returns its first output, checking its shape. */
  private static float[] runOrt(byte[] onnx, boolean optimize, List<String> names, Tensor[] xs, int[] expectShape) throws OrtException {
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(optimize ? OrtSession.SessionOptions.OptLevel.ALL_OPT : OrtSession.SessionOptions.OptLevel.NO_OPT);
      so.setIntraOpNumThreads(1);
      try (OrtSession s = ENV.createSession(onnx, so)) {
        Map<String, OnnxTensor> in = new LinkedHashMap<>();
        try {
          for (int i = 0; i < xs.length; i++) {
            long[] shape = new long[xs[i].rank()];
            for (int d = 0; d < shape.length; d++) shape[d] = xs[i].dim(d);
            in.put(names.get(i), OnnxTensor.createTensor(ENV, FloatBuffer.wrap(xs[i].toArray()), shape));
          }
          try (OrtSession.Result r = s.run(in)) {
            OnnxTensor out = (OnnxTensor) r.get(0);
            long[] shape = out.getInfo().getShape();
            int[] got = new int[shape.length];
            for (int d = 0; d < got.length; d++) got[d] = (int) shape[d];
            assertArrayEquals(expectShape, got, "ORT output shape");
            FloatBuffer fb = out.getFloatBuffer();
            float[] a = new float[fb.remaining()];
            fb.get(a);
            return a;
          }
        } finally {
          for (OnnxTensor t : in.values()) t.close();
        }
      }
    }
  }

  /** Exports, then for each batch compares ORT (optimizations off and on) with predict; returns the worst error relative to the output scale. */
  private static double check(String what, Model m, OnnxExport.Options options, List<String> inputNames, Tensor[]... batches) throws OrtException {
    byte[] onnx = OnnxExport.toBytes(m.network(), options);
    double worst = 0;
    for (Tensor[] xs : batches) {
      Tensor ref = m.predict(xs, 64);
      float[] want = ref.toArray();
      double scale = 0;
      for (float v : want) scale = Math.max(scale, Math.abs(v));
      assertTrue(scale > 0, what + ": jnn's output is all zero, the comparison would say nothing");
      for (boolean optimize : new boolean[] {false, true}) {
        float[] got = runOrt(onnx, optimize, inputNames, xs, ref.shape());
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
          double err = Math.abs(got[i] - want[i]) / scale;
          worst = Math.max(worst, err);
          if (!(err <= Tolerances.ONNX_RTOL))
            throw new AssertionError(what + " (batch " + xs[0].dim(0) + ", ORT optimizations " + (optimize ? "on" : "off") + "): element " + i + " is "
                + got[i] + " in ONNX Runtime, " + want[i] + " in jnn (scale " + scale + ")");
        }
      }
    }
    System.out.printf("ONNX %s: worst |ORT - jnn| = %.2e of the output scale%n", what, worst);
    return worst;
  }

  private static Tensor[] one(Tensor x) { return new Tensor[] {x}; }

  @Test
  void denseClassifier() throws OrtException {
    Model m = DenseExample.model(3);
    SplittableRandom r = new SplittableRandom(1);
    check("dense classifier", m, OnnxExport.Options.defaults(), List.of("input"), one(Tensor.of(uniform(r, 7 * 10, -2, 2), 7, 10)),
        one(Tensor.of(uniform(r, 10, -2, 2), 1, 10)));
  }

  @Test
  void tutorialCnnAndItsCifarVariant() throws OrtException {
    SplittableRandom r = new SplittableRandom(2);
    check("tutorial CNN 28x28x1", CnnExample.fashionMnistCnn(1), OnnxExport.Options.defaults(), List.of("input"),
        one(Tensor.of(uniform(r, 3 * 28 * 28, 0, 1), 3, 1, 28, 28)), one(Tensor.of(uniform(r, 28 * 28, 0, 1), 1, 1, 28, 28)));
    check("tutorial CNN 32x32x3", CnnExample.cifarCnn(1), OnnxExport.Options.defaults().inputShapes(new int[] {-1, 3, 32, 32}), List.of("input"),
        one(Tensor.of(uniform(r, 2 * 3 * 32 * 32, 0, 1), 2, 3, 32, 32)), one(Tensor.of(uniform(r, 5 * 3 * 32 * 32, 0, 1), 5, 3, 32, 32)));
  }

  @Test
  void textClassifier() throws OrtException {
    SplittableRandom r = new SplittableRandom(3);
    check("text classifier", SequenceExamples.textClassifier(50, 2), OnnxExport.Options.defaults(), List.of("input"),
        one(Tensor.of(ids(r, 4 * 9, 50), 4, 9)), one(Tensor.of(ids(r, 2 * 17, 50), 2, 17)));
  }

  @Test
  void charLstmSequenceOutput() throws OrtException {
    SplittableRandom r = new SplittableRandom(4);
    check("char-LSTM", SequenceExamples.charLstm(30, 5), OnnxExport.Options.defaults(), List.of("input"), one(Tensor.of(ids(r, 3 * 12, 30), 3, 12)),
        one(Tensor.of(ids(r, 5 * 4, 30), 5, 4)));
  }

  @Test
  void bidirectionalTwoLayerGru() throws OrtException {
    SplittableRandom r = new SplittableRandom(5);
    for (boolean sequences : new boolean[] {true, false}) {
      Model m = Model.sequential(GRU.builder().inputSize(6).hiddenSize(8).numLayers(2).bidirectional(true).returnSequences(sequences).build(),
          sequences ? new TimeDistributed(new Dense(16, 3)) : new Dense(16, 3)).init(6);
      check("bidirectional 2-layer GRU" + (sequences ? " (sequences)" : " (last step)"), m, OnnxExport.Options.defaults(), List.of("input"),
          one(Tensor.of(uniform(r, 3 * 7 * 6, -1, 1), 3, 7, 6)), one(Tensor.of(uniform(r, 2 * 11 * 6, -1, 1), 2, 11, 6)));
    }
  }

  @Test
  void bidirectionalLstmLastStepAndNonDenseTimeDistributed() throws OrtException {
    SplittableRandom r = new SplittableRandom(6);
    Model seq = Model.sequential(dev.jnn.nn.LSTM.builder().inputSize(4).hiddenSize(5).bidirectional(true).build(),
        new TimeDistributed(new Sequential(new Dense(10, 6), new Tanh()))).init(2);
    check("bidirectional LSTM + TimeDistributed(Sequential)", seq, OnnxExport.Options.defaults(), List.of("input"),
        one(Tensor.of(uniform(r, 3 * 6 * 4, -1, 1), 3, 6, 4)));
    Model last = Model.sequential(dev.jnn.nn.LSTM.builder().inputSize(4).hiddenSize(5).numLayers(2).bidirectional(true).returnSequences(false).build(),
        new Dense(10, 2)).init(3);
    check("bidirectional LSTM (last step)", last, OnnxExport.Options.defaults(), List.of("input"), one(Tensor.of(uniform(r, 4 * 5 * 4, -1, 1), 4, 5, 4)));
  }

  @Test
  void bertClassifierAndMaskedLmWithPaddingMask() throws OrtException {
    Bert.Config c = BertExamples.config(40, 10, 16, 2, 4, 32);
    SplittableRandom r = new SplittableRandom(7);
    Tensor[] b3 = bertBatch(r, 3, 10, 40), b5 = bertBatch(r, 5, 10, 40);
    check("BERT classifier, padding mask", BertExamples.classifier(c, 10, 8), OnnxExport.Options.defaults(), List.of("ids", "mask"), b3, b5);
    Model mlm = BertExamples.maskedLm(c, 10, 3, 9);
    Tensor[] withPositions = {b3[0], b3[1], Tensor.of(ids(r, 3 * 3, 10), 3, 3)};
    check("BERT masked LM, padding mask", mlm, OnnxExport.Options.defaults(), List.of("ids", "mask", "positions"), withPositions);
    check("BERT token head, padding mask", BertExamples.tokenHead(c, 10, 10), OnnxExport.Options.defaults(), List.of("ids", "mask"), b5);
  }

  /** ids and a key mask whose rows keep 10, 7, 3, ... tokens (row 2 onwards padded at the end), the last row of b >= 4 fully padded. */
  private static Tensor[] bertBatch(SplittableRandom r, int b, int t, int vocabulary) {
    float[] mask = new float[b * t];
    for (int i = 0; i < b; i++) {
      int keep = i == 3 ? 0 : Math.max(1, t - 3 * i);
      for (int j = 0; j < keep; j++) mask[i * t + j] = 1;
    }
    return new Tensor[] {Tensor.of(ids(r, b * t, vocabulary), b, t), Tensor.of(mask, b, t)};
  }

  @Test
  void causalPreLnEncoderLayerWithMask() throws OrtException {
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input("x", 6, 8), keep = g.input("keep", 6);
    Graph.Node h = g.apply(TransformerEncoderLayer.builder(8, 2).feedForward(16).normFirst(true).maskInput(true).causal(true).build(), x, keep);
    h = g.apply(MultiHeadAttention.builder(8, 4).build(), h);
    Model m = Model.of(g.build(g.apply(new Softmax(), g.apply(new LayerNorm(8), h)))).init(4);
    SplittableRandom r = new SplittableRandom(8);
    float[] mask = new float[3 * 6];
    for (int i = 0; i < mask.length; i++) mask[i] = i % 6 < 6 - i / 6 * 2 ? 1 : 0;
    check("causal pre-LN encoder layer + attention", m, OnnxExport.Options.defaults(), List.of("x", "keep"),
        new Tensor[] {Tensor.of(uniform(r, 3 * 6 * 8, -1, 1), 3, 6, 8), Tensor.of(mask, 3, 6)});
  }

  @Test
  void convLayersBatchNormPoolsAndActivations() throws OrtException {
    Model m = Model.sequential(new Conv2d(2, 4, 3), new BatchNorm2d(4), new LeakyReLU(0.1), new AvgPool2d(3, 1, 1), new MaxPool2d(2),
        Conv2d.builder(4, 3).kernel(3).paddingSame().build(), new GELU(), new GlobalAvgPool2d(), new BatchNorm1d(3), new Dropout(0.5), new Tanh(),
        new Dense(3, 4), new Softmax()).init(5);
    SplittableRandom r = new SplittableRandom(9);
    Tensor train = Tensor.of(uniform(r, 8 * 2 * 9 * 9, -1, 2), 8, 2, 9, 9);
    for (int i = 0; i < 3; i++) m.network().forward(train, true);   // running statistics away from 0 and 1
    check("conv, batch norm, pools, activations", m, OnnxExport.Options.defaults(), List.of("input"),
        one(Tensor.of(uniform(r, 3 * 2 * 9 * 9, -1, 2), 3, 2, 9, 9)), one(Tensor.of(uniform(r, 2 * 11 * 10, -1, 2), 1, 2, 11, 10)));
  }

  @Test
  void graphMergesAndSharedLayer() throws OrtException {
    Graph.Builder g = Graph.builder();
    Graph.Node a = g.input("a", 5), b = g.input("b", 5);
    Dense shared = new Dense(5, 6);
    Graph.Node sa = g.apply(shared, a), sb = g.apply(shared, b);
    Graph.Node sum = g.apply(new Add(), sa, sb), prod = g.apply(new Multiply(), sa, g.apply(new Sigmoid(), sb));
    Graph.Node cat = g.apply(new Concat(), g.apply(new ReLU(), sum), prod, a);
    Model m = Model.of(g.build(g.apply(new Dense(17, 2), cat))).init(6);
    SplittableRandom r = new SplittableRandom(10);
    byte[] onnx = OnnxExport.toBytes(m.network(), OnnxExport.Options.defaults());
    assertTrue(count(onnx, "dense_1.weight") >= 1, "the shared weight is an initializer");
    check("graph with merges and a shared layer", m, OnnxExport.Options.defaults(), List.of("a", "b"),
        new Tensor[] {Tensor.of(uniform(r, 4 * 5, -1, 1), 4, 5), Tensor.of(uniform(r, 4 * 5, -1, 1), 4, 5)});
  }

  private static int count(byte[] hay, String needle) {
    String s = new String(hay, java.nio.charset.StandardCharsets.ISO_8859_1);
    int n = 0;
    for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) n++;
    return n;
  }

  @Test
  void fixedBatchAndNamesAndOpset18() throws OrtException {
    Model m = DenseExample.model(4);
    SplittableRandom r = new SplittableRandom(11);
    OnnxExport.Options o = OnnxExport.Options.defaults().opset(18).dynamicBatch(false).inputShapes(new int[] {2, 10}).inputNames("x").outputNames("p");
    check("dense, fixed batch 2, opset 18", m, o, List.of("x"), one(Tensor.of(uniform(r, 20, -1, 1), 2, 10)));
    Model text = SequenceExamples.textClassifier(20, 1);
    check("text classifier, opset 18 (ReduceMean axes input)", text, OnnxExport.Options.defaults().opset(18), List.of("input"),
        one(Tensor.of(ids(r, 12, 20), 3, 4)));
  }

  @Test
  void aLayerWithoutConversionFailsNamingIt() {
    Layer odd = new Layer() {
      @Override public String name() { return "Oddity"; }
      @Override public Tensor forward(Tensor x, boolean training) { return x; }
      @Override public Tensor backward(Tensor dy) { return dy; }
    };
    Sequential net = new Sequential(new Dense(3, 3), odd);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExport.toBytes(net, OnnxExport.Options.defaults()));
    assertTrue(e.getMessage().contains("'1' Oddity"), e.getMessage());
    assertTrue(e.getMessage().contains("OnnxExport.register"), e.getMessage());
  }

  @Test
  void stateOutsideTheInputsIsRefused() {
    GlobalAvgPool1d pool = new GlobalAvgPool1d();
    pool.setMask(Tensor.of(new float[] {1, 0}, 1, 2));
    Sequential net = new Sequential(new dev.jnn.nn.Embedding(5, 2), pool);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExport.toBytes(net, OnnxExport.Options.defaults()));
    assertTrue(e.getMessage().contains("setMask"), e.getMessage());
    GRU gru = GRU.builder().inputSize(2).hiddenSize(2).build();
    gru.setInitialState(Tensor.zeros(1, 1, 2));
    e = assertThrows(IllegalArgumentException.class, () -> OnnxExport.toBytes(gru, OnnxExport.Options.defaults()));
    assertTrue(e.getMessage().contains("clearInitialState"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> OnnxExport.Options.defaults().opset(16));
    IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> OnnxExport.toBytes(new ReLU(), OnnxExport.Options.defaults()));
    assertTrue(shape.getMessage().contains("inputShapes"), shape.getMessage());
  }
}
