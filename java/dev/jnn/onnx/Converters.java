package dev.jnn.onnx;

import dev.jnn.nn.Add;
import dev.jnn.nn.AvgPool2d;
import dev.jnn.nn.BatchNorm1d;
import dev.jnn.nn.BatchNorm2d;
import dev.jnn.nn.Bert;
import dev.jnn.nn.BertPooler;
import dev.jnn.nn.Concat;
import dev.jnn.nn.Conv2d;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Dropout;
import dev.jnn.nn.Embedding;
import dev.jnn.nn.Flatten;
import dev.jnn.nn.GELU;
import dev.jnn.nn.GRU;
import dev.jnn.nn.GatherPositions;
import dev.jnn.nn.GlobalAvgPool1d;
import dev.jnn.nn.GlobalAvgPool2d;
import dev.jnn.nn.Graph;
import dev.jnn.nn.LSTM;
import dev.jnn.nn.Layer;
import dev.jnn.nn.LayerNorm;
import dev.jnn.nn.LeakyReLU;
import dev.jnn.nn.MaxPool2d;
import dev.jnn.nn.MultiHeadAttention;
import dev.jnn.nn.Multiply;
import dev.jnn.nn.Parameter;
import dev.jnn.nn.PositionalEmbedding;
import dev.jnn.nn.ReLU;
import dev.jnn.nn.Recurrent;
import dev.jnn.nn.Sequential;
import dev.jnn.nn.Sigmoid;
import dev.jnn.nn.Softmax;
import dev.jnn.nn.Tanh;
import dev.jnn.nn.TimeDistributed;
import dev.jnn.nn.TransformerEncoder;
import dev.jnn.nn.TransformerEncoderLayer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ONNX conversions of jnn's own layers, registered with {@link OnnxExport} by class (one
 * explicit list, as {@link dev.jnn.nn.LayerRegistry}'s). Every conversion computes what the
 * layer's inference forward computes; docs/ONNX.md lists the ops of each.
 */
final class Converters {
  private Converters() {}

  /** Runs the static registrations once. */
  static void ensureLoaded() {}

  private static final long[] TO_TIME_MAJOR = {1, 0, 2};

  static {
    OnnxExport.register(Dense.class, Converters::dense, d -> new int[][] {{-1, d.inFeatures()}}, true);
    OnnxExport.register(Conv2d.class, Converters::conv, c -> new int[][] {{-1, c.inChannels(), -1, -1}}, false);
    OnnxExport.register(MaxPool2d.class, (p, in, g) -> g.op("MaxPool", 4, in, "kernel_shape", new long[] {p.kernelH(), p.kernelW()},
        "strides", new long[] {p.strideH(), p.strideW()}, "pads", new long[] {p.paddingH(), p.paddingW(), p.paddingH(), p.paddingW()}));
    OnnxExport.register(AvgPool2d.class, (p, in, g) -> g.op("AveragePool", 4, in, "kernel_shape", new long[] {p.kernelH(), p.kernelW()},
        "strides", new long[] {p.strideH(), p.strideW()}, "pads", new long[] {p.paddingH(), p.paddingW(), p.paddingH(), p.paddingW()},
        "count_include_pad", p.countIncludePad() ? 1 : 0));
    OnnxExport.register(GlobalAvgPool2d.class, (p, in, g) -> g.op("Flatten", 2, new String[] {g.op("GlobalAveragePool", 4, in)}, "axis", 1));
    OnnxExport.register(Flatten.class, (f, in, g) -> g.op("Flatten", 2, in, "axis", 1));
    OnnxExport.register(BatchNorm1d.class, (b, in, g) -> batchNorm(in[0], g, b.weight(), b.bias(), b.runningMean(), b.runningVar(), b.eps()),
        b -> new int[][] {{-1, b.numFeatures()}}, false);
    OnnxExport.register(BatchNorm2d.class, (b, in, g) -> batchNorm(in[0], g, b.weight(), b.bias(), b.runningMean(), b.runningVar(), b.eps()),
        b -> new int[][] {{-1, b.numFeatures(), -1, -1}}, false);
    OnnxExport.register(ReLU.class, (l, in, g) -> g.op("Relu", g.rank(in[0]), in), null, true);
    OnnxExport.register(LeakyReLU.class, (l, in, g) -> g.op("LeakyRelu", g.rank(in[0]), in, "alpha", l.slope()), null, true);
    OnnxExport.register(Sigmoid.class, (l, in, g) -> g.op("Sigmoid", g.rank(in[0]), in), null, true);
    OnnxExport.register(Tanh.class, (l, in, g) -> g.op("Tanh", g.rank(in[0]), in), null, true);
    OnnxExport.register(GELU.class, (l, in, g) -> gelu(in[0], g), null, true);
    OnnxExport.register(Softmax.class, (l, in, g) -> g.op("Softmax", g.rank(in[0]), in, "axis", -1), null, true);
    OnnxExport.register(Dropout.class, (l, in, g) -> g.op("Identity", g.rank(in[0]), in), null, true);
    OnnxExport.register(Embedding.class, (e, in, g) -> g.op("Gather", g.rank(in[0]) + 1, new String[] {g.weight(e.weight()), g.cast(in[0], OnnxGraph.INT64)},
        "axis", 0), e -> new int[][] {{-1, -1}}, false);
    OnnxExport.register(GlobalAvgPool1d.class, Converters::globalAvgPool1d);
    OnnxExport.register(TimeDistributed.class, Converters::timeDistributed, t -> {
      int f = t.inner().inputFeatures();
      return f < 0 ? null : new int[][] {{-1, -1, f}};
    }, false);
    OnnxExport.register(LSTM.class, (r, in, g) -> recurrent(r, true, in[0], g), r -> new int[][] {{-1, -1, r.inputSize()}}, false);
    OnnxExport.register(GRU.class, (r, in, g) -> recurrent(r, false, in[0], g), r -> new int[][] {{-1, -1, r.inputSize()}}, false);
    OnnxExport.register(LayerNorm.class, (l, in, g) -> layerNorm(in[0], g, l.weight(), l.bias(), l.eps()), l -> new int[][] {{-1, -1, l.features()}}, true);
    OnnxExport.register(MultiHeadAttention.class, Converters::attention, m -> sequenceShapes(m.embedDim(), m.arity()), false);
    OnnxExport.register(TransformerEncoderLayer.class, Converters::encoderLayer, l -> sequenceShapes(l.dModel(), l.arity()), false);
    OnnxExport.register(TransformerEncoder.class, Converters::encoder, e -> sequenceShapes(e.inputFeatures(), e.arity()), false);
    OnnxExport.register(PositionalEmbedding.class, Converters::positions, p -> new int[][] {{-1, -1, p.dim()}}, false);
    OnnxExport.register(Bert.class, Converters::bert, b -> b.arity() == 3 ? new int[][] {{-1, -1}, {-1, -1}, {-1, -1}} : new int[][] {{-1, -1}, {-1, -1}},
        false);
    OnnxExport.register(BertPooler.class, (p, in, g) -> {
      String first = g.op("Gather", 2, new String[] {in[0], g.longScalar(0)}, "axis", 1);
      return g.call(child(p, "activation"), g.call(child(p, "dense"), first));
    }, p -> new int[][] {{-1, -1, p.hidden()}}, false);
    OnnxExport.register(GatherPositions.class, (l, in, g) -> {
      String idx = g.op("Unsqueeze", 3, g.cast(in[1], OnnxGraph.INT64), g.longs(-1));
      return g.op("GatherND", 3, new String[] {in[0], idx}, "batch_dims", 1);
    });
    // composition
    OnnxExport.register(Sequential.class, Converters::sequential, s -> s.size() == 0 ? null : OnnxExport.fixedInputShapes(s.layer(0)), false);
    OnnxExport.register(Graph.class, new OnnxExport.Entry<>(Converters::graph, Converters::graphInputShapes, false, Converters::graphOutputs,
        Graph::inputNames, Graph::outputNames));
    OnnxExport.register(Add.class, (l, in, g) -> merge("Add", in, g));
    OnnxExport.register(Multiply.class, (l, in, g) -> merge("Mul", in, g));
    OnnxExport.register(Concat.class, (l, in, g) -> g.op("Concat", g.rank(in[0]), in, "axis", l.axis()));
  }

  /** A direct child by name (PyTorch's child names, e.g. "linear1"). */
  static Layer child(Layer parent, String name) {
    for (Layer.Child c : parent.children()) if (c.name().equals(name)) return c.layer();
    throw new IllegalStateException("ONNX export: " + parent.name() + " has no child '" + name + "'");
  }

  private static int[][] sequenceShapes(int d, int arity) {
    return arity == 2 ? new int[][] {{-1, -1, d}, {-1, -1}} : new int[][] {{-1, -1, d}};
  }

  // ---------------------------------------------------------------- layers

  private static float[] transpose(float[] a, int rows, int cols) {
    float[] t = new float[a.length];
    for (int r = 0; r < rows; r++)
      for (int c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
    return t;
  }

  /** Rank 2: {@code Gemm(x, W, b, transB=1)}; any other rank: {@code MatMul(x, W^T) + b}. */
  private static String dense(Dense d, String[] in, OnnxGraph g) {
    String x = in[0];
    int r = g.rank(x);
    if (r == 2) return g.op("Gemm", 2, new String[] {x, g.weight(d.weight()), g.weight(d.bias())}, "transB", 1);
    String wt = g.derived(d.weight(), "T", () -> transpose(d.weight().value().toArray(), d.outFeatures(), d.inFeatures()), d.inFeatures(), d.outFeatures());
    return g.op("Add", r, g.op("MatMul", r, x, wt), g.weight(d.bias()));
  }

  private static String conv(Conv2d c, String[] in, OnnxGraph g) {
    String[] inputs = c.hasBias() ? new String[] {in[0], g.weight(c.weight()), g.weight(c.bias())} : new String[] {in[0], g.weight(c.weight())};
    return g.op("Conv", 4, inputs, "kernel_shape", new long[] {c.kernelH(), c.kernelW()}, "strides", new long[] {c.strideH(), c.strideW()},
        "pads", new long[] {c.paddingH(), c.paddingW(), c.paddingH(), c.paddingW()}, "dilations", new long[] {c.dilationH(), c.dilationW()}, "group", 1);
  }

  private static String batchNorm(String x, OnnxGraph g, Parameter w, Parameter b, dev.jnn.tensor.Tensor mean, dev.jnn.tensor.Tensor var, float eps) {
    return g.op("BatchNormalization", g.rank(x), new String[] {x, g.weight(w), g.weight(b), g.tensor(mean), g.tensor(var)}, "epsilon", eps);
  }

  /** Exact (erf) GELU: {@code 0.5 x (1 + erf(x / sqrt 2))}. */
  private static String gelu(String x, OnnxGraph g) {
    int r = g.rank(x);
    String e = g.op("Erf", r, g.op("Mul", r, x, g.scalar((float) (1 / Math.sqrt(2)))));
    return g.op("Mul", r, g.op("Mul", r, x, g.scalar(0.5f)), g.op("Add", r, e, g.scalar(1f)));
  }

  private static String layerNorm(String x, OnnxGraph g, Parameter w, Parameter b, float eps) {
    return g.op("LayerNormalization", g.rank(x), new String[] {x, g.weight(w), g.weight(b)}, "axis", -1, "epsilon", eps);
  }

  private static String globalAvgPool1d(GlobalAvgPool1d p, String[] in, OnnxGraph g) {
    if (p.mask() != null)
      throw new IllegalArgumentException("ONNX export: GlobalAvgPool1d has a mask set (setMask), which is state outside the model's inputs and is not "
          + "exported; clear it with setMask(null) before exporting");
    return g.reduceMean(in[0], false, 1);
  }

  /**
   * A layer that takes any leading axes (Dense) gets the (B, T, F) input as is; any other is
   * applied to the (B T, F) rows and its output reshaped back to (B, T, F').
   */
  private static String timeDistributed(TimeDistributed t, String[] in, OnnxGraph g) {
    if (OnnxExport.anyLeadingAxes(t.inner())) return g.call(t.inner(), in[0]);
    String rows = g.op("Flatten", 2, new String[] {in[0]}, "axis", 2);
    String y = g.call(t.inner(), rows);
    String bt = g.op("Slice", 1, g.op("Shape", 1, in[0]), g.longs(0), g.longs(2));
    return g.op("Reshape", 3, y, g.op("Concat", 1, new String[] {bt, g.longs(-1)}, "axis", 0));
  }

  /**
   * LSTM/GRU as ONNX's LSTM/GRU ops, one per layer (both directions in one op), time-major in
   * between. Gate blocks reordered: PyTorch's LSTM i f g o to ONNX's i o f c; GRU's r z n to
   * z r h, with {@code linear_before_reset=1} (PyTorch's n = tanh(W_in x + b_in + r (W_hn h + b_hn))).
   */
  private static String recurrent(Recurrent r, boolean lstm, String x, OnnxGraph g) {
    if (r.hasInitialState())
      throw new IllegalArgumentException("ONNX export: " + r.name() + " has an initial state set (setInitialState), which is not part of the model's "
          + "inputs; clear it with clearInitialState() before exporting");
    int h = r.hiddenSize(), dirs = r.bidirectional() ? 2 : 1, gates = lstm ? 4 : 3;
    int[] order = lstm ? new int[] {0, 3, 1, 2} : new int[] {1, 0, 2};   // ONNX block k is PyTorch block order[k]
    String seq = g.op("Transpose", 3, new String[] {x}, "perm", TO_TIME_MAJOR);   // (T, B, I)
    for (int l = 0; l < r.numLayers(); l++) {
      int in = l == 0 ? r.inputSize() : h * dirs;
      Parameter[][] p = new Parameter[dirs][];
      for (int d = 0; d < dirs; d++) {
        String s = "_l" + l + (d == 1 ? "_reverse" : "");
        p[d] = new Parameter[] {r.parameter("weight_ih" + s), r.parameter("weight_hh" + s), r.parameter("bias_ih" + s), r.parameter("bias_hh" + s)};
      }
      String w = g.derived(p[0][0], "onnx", () -> gateBlocks(p, 0, order, h), dirs, gates * h, in);
      String rr = g.derived(p[0][1], "onnx", () -> gateBlocks(p, 1, order, h), dirs, gates * h, h);
      String b = g.derived(p[0][2], "onnx", () -> biases(p, order, h), dirs, 2 * gates * h);
      String[] outs = lstm
          ? g.ops("LSTM", new int[] {4, 3, 3}, new String[] {seq, w, rr, b}, "hidden_size", h, "direction", dirs == 2 ? "bidirectional" : "forward")
          : g.ops("GRU", new int[] {4, 3}, new String[] {seq, w, rr, b}, "hidden_size", h, "direction", dirs == 2 ? "bidirectional" : "forward",
              "linear_before_reset", 1);
      if (l == r.numLayers() - 1 && !r.returnSequences()) {   // the final states: forward at T-1, reverse at 0
        String bdh = g.op("Transpose", 3, new String[] {outs[1]}, "perm", new long[] {1, 0, 2});
        return g.op("Reshape", 2, bdh, g.longs(0, -1));
      }
      String tbdh = g.op("Transpose", 4, new String[] {outs[0]}, "perm", new long[] {0, 2, 1, 3});   // (T, dirs, B, H) -> (T, B, dirs, H)
      seq = g.op("Reshape", 3, tbdh, g.longs(0, 0, -1));
    }
    return g.op("Transpose", 3, new String[] {seq}, "perm", TO_TIME_MAJOR);
  }

  /** W or R of every direction, (dirs, gates H, cols), gate blocks in ONNX's order. */
  private static float[] gateBlocks(Parameter[][] p, int which, int[] order, int h) {
    int dirs = p.length;
    float[] first = p[0][which].value().toArray();
    int block = first.length / order.length;   // h * cols values per gate
    float[] out = new float[dirs * first.length];
    for (int d = 0; d < dirs; d++) {
      float[] a = d == 0 ? first : p[d][which].value().toArray();
      for (int k = 0; k < order.length; k++) System.arraycopy(a, order[k] * block, out, d * a.length + k * block, block);
    }
    return out;
  }

  /** B = [Wb, Rb] per direction, (dirs, 2 gates H), gate blocks in ONNX's order. */
  private static float[] biases(Parameter[][] p, int[] order, int h) {
    int dirs = p.length, g = order.length;
    float[] out = new float[dirs * 2 * g * h];
    for (int d = 0; d < dirs; d++)
      for (int which = 0; which < 2; which++) {
        float[] a = p[d][2 + which].value().toArray();
        for (int k = 0; k < g; k++) System.arraycopy(a, order[k] * h, out, d * 2 * g * h + which * g * h + k * h, h);
      }
    return out;
  }

  /**
   * Self-attention: the (B, T, 3d) projection, Split, per-head Reshape/Transpose, MatMul and
   * scale, Softmax over the keys with padded (mask 0) and, when causal, later keys set to -1e30
   * before it and to probability 0 after it (a row without any key gives zeros, as jnn's kernel),
   * MatMul with V, heads merged, out_proj.
   */
  private static String attention(MultiHeadAttention m, String[] in, OnnxGraph g) {
    int d = m.embedDim(), heads = m.numHeads(), hd = d / heads;
    String x = in[0];
    String wt = g.derived(m.inProjWeight(), "T", () -> transpose(m.inProjWeight().value().toArray(), 3 * d, d), d, 3 * d);
    String qkv = g.op("Add", 3, g.op("MatMul", 3, x, wt), g.weight(m.inProjBias()));
    String[] parts = g.ops("Split", new int[] {3, 3, 3}, new String[] {qkv, g.longs(d, d, d)}, "axis", 2);
    String headShape = g.longs(0, 0, heads, hd);
    String q = g.op("Transpose", 4, new String[] {g.op("Reshape", 4, parts[0], headShape)}, "perm", new long[] {0, 2, 1, 3});
    String kt = g.op("Transpose", 4, new String[] {g.op("Reshape", 4, parts[1], headShape)}, "perm", new long[] {0, 2, 3, 1});
    String v = g.op("Transpose", 4, new String[] {g.op("Reshape", 4, parts[2], headShape)}, "perm", new long[] {0, 2, 1, 3});
    String scores = g.op("Mul", 4, g.op("MatMul", 4, q, kt), g.scalar((float) (1 / Math.sqrt(hd))));
    String keep = null;   // bool, broadcast to (B, heads, T, T)
    if (in.length > 1) {
      String padded = g.op("Equal", 2, in[1], g.scalar(0f));
      keep = g.op("Unsqueeze", 4, g.op("Not", 2, padded), g.longs(1, 2));   // (B, 1, 1, T)
    }
    if (m.causal()) {
      String t = g.op("Slice", 1, g.op("Shape", 1, x), g.longs(1), g.longs(2));
      String ones = g.op("Expand", 2, g.scalar(1f), g.op("Concat", 1, new String[] {t, t}, "axis", 0));
      String lower = g.cast(g.op("Trilu", 2, new String[] {ones}, "upper", 0), OnnxGraph.BOOL);   // (T, T): key j <= query i
      keep = keep == null ? lower : g.op("And", 4, keep, lower);
    }
    String probs;
    if (keep == null) {
      probs = g.op("Softmax", 4, new String[] {scores}, "axis", -1);
    } else {
      String masked = g.op("Where", 4, keep, scores, g.scalar(-1e30f));
      probs = g.op("Mul", 4, g.op("Softmax", 4, new String[] {masked}, "axis", -1), g.cast(keep, OnnxGraph.FLOAT));
    }
    String o = g.op("Transpose", 4, new String[] {g.op("MatMul", 4, probs, v)}, "perm", new long[] {0, 2, 1, 3});   // (B, T, heads, hd)
    return g.call(m.outProj(), g.op("Reshape", 3, o, g.longs(0, 0, d)));
  }

  private static String encoderLayer(TransformerEncoderLayer l, String[] in, OnnxGraph g) {
    String x = in[0];
    Layer attn = child(l, "self_attn"), norm1 = child(l, "norm1"), norm2 = child(l, "norm2"), drop1 = child(l, "dropout1");
    if (!l.normFirst()) {
      String a = g.call(drop1, g.call(attn, attentionInputs(x, in)));
      String h = g.call(norm1, g.op("Add", 3, x, a));
      return g.call(norm2, g.op("Add", 3, h, feedForward(l, h, g)));
    }
    String a = g.call(drop1, g.call(attn, attentionInputs(g.call(norm1, x), in)));
    String s1 = g.op("Add", 3, x, a);
    return g.op("Add", 3, s1, feedForward(l, g.call(norm2, s1), g));
  }

  private static String[] attentionInputs(String x, String[] in) { return in.length > 1 ? new String[] {x, in[1]} : new String[] {x}; }

  /** dropout2(linear2(dropout(activation(linear1(h))))). */
  private static String feedForward(TransformerEncoderLayer l, String h, OnnxGraph g) {
    String a = g.call(child(l, "activation"), g.call(child(l, "linear1"), h));
    return g.call(child(l, "dropout2"), g.call(child(l, "linear2"), g.call(child(l, "dropout"), a)));
  }

  private static String encoder(TransformerEncoder e, String[] in, OnnxGraph g) {
    String h = in[0];
    for (TransformerEncoderLayer l : e.layers()) h = g.call(l, attentionInputs(h, in));
    return e.norm() == null ? h : g.call(e.norm(), h);
  }

  /** x + weight[0:T] for x (B, T, D). */
  private static String positions(PositionalEmbedding p, String[] in, OnnxGraph g) {
    String t = g.op("Slice", 1, g.op("Shape", 1, in[0]), g.longs(1), g.longs(2));
    String rows = g.op("Slice", 2, g.weight(p.weight()), g.longs(0), t, g.longs(0));
    return g.op("Add", 3, in[0], rows);
  }

  /** Embeddings (word + position (+ token type), LayerNorm, dropout), then the encoder with the key mask. */
  private static String bert(Bert b, String[] in, OnnxGraph g) {
    Layer emb = b.embeddings();
    String e = g.call(child(emb, "position_embeddings"), g.call(child(emb, "word_embeddings"), in[0]));
    if (in.length > 2) e = g.op("Add", 3, e, g.call(child(emb, "token_type_embeddings"), in[2]));
    e = g.call(child(emb, "dropout"), g.call(child(emb, "LayerNorm"), e));
    return g.call(b.encoder(), e, in[1]);
  }

  // ---------------------------------------------------------------- composition

  private static String merge(String op, String[] in, OnnxGraph g) {
    String y = in[0];
    for (int i = 1; i < in.length; i++) y = g.op(op, g.rank(in[0]), y, in[i]);
    return y;
  }

  private static String sequential(Sequential s, String[] in, OnnxGraph g) {
    String y = in[0];
    for (Layer l : s.layers()) y = g.call(l, y);
    return y;
  }

  private static int[][] graphInputShapes(Graph graph) {
    int[][] r = new int[graph.arity()][];
    for (int i = 0; i < r.length; i++) r[i] = graph.inputShape(i);
    return r;
  }

  private static String graph(Graph graph, String[] in, OnnxGraph g) {
    String[] outs = graphOutputs(graph, in, g);
    if (outs.length != 1)
      throw new IllegalArgumentException("ONNX export: a graph with " + outs.length + " outputs nested in another layer is not exported; export it as "
          + "the model itself");
    return outs[0];
  }

  /** Walks the graph's nodes in topological order; a layer applied at several nodes is one set of initializers. */
  static String[] graphOutputs(Graph graph, String[] in, OnnxGraph g) {
    Map<String, String> values = new HashMap<>();
    List<String> inputs = graph.inputNames();
    for (int i = 0; i < inputs.size(); i++) values.put(inputs.get(i), in[i]);
    for (String node : graph.nodeNames()) {
      Layer l = graph.layerAt(node);
      if (l == null) continue;
      List<String> srcs = graph.inputsOf(node);
      String[] args = new String[srcs.size()];
      for (int i = 0; i < args.length; i++) args[i] = values.get(srcs.get(i));
      values.put(node, g.call(l, args));
    }
    List<String> outs = graph.outputNames();
    String[] r = new String[outs.size()];
    for (int i = 0; i < r.length; i++) r[i] = values.get(outs.get(i));
    return r;
  }
}
