package dev.jnn.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jnn.nn.AvgPool2d;
import dev.jnn.nn.BatchNorm1d;
import dev.jnn.nn.BatchNorm2d;
import dev.jnn.nn.Conv2d;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Dropout;
import dev.jnn.nn.Embedding;
import dev.jnn.nn.Flatten;
import dev.jnn.nn.GELU;
import dev.jnn.nn.GlobalAvgPool1d;
import dev.jnn.nn.GlobalAvgPool2d;
import dev.jnn.nn.GRU;
import dev.jnn.nn.Init;
import dev.jnn.nn.LSTM;
import dev.jnn.nn.Layer;
import dev.jnn.nn.LeakyReLU;
import dev.jnn.nn.MaxPool2d;
import dev.jnn.nn.ReLU;
import dev.jnn.nn.Sigmoid;
import dev.jnn.nn.Softmax;
import dev.jnn.nn.Tanh;
import dev.jnn.nn.TimeDistributed;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The explicit registry of the layer types a checkpoint can hold (DESIGN.md 6b: a map in one
 * file, no self-registration): the type name written in the architecture JSON, how to write a
 * layer's full configuration, and how to rebuild the layer from it. Floats are written as the
 * double of their float value, so reading them back is exact.
 *
 * <p>To make a new layer type savable, add one entry here (and a test in tests/dev/jnn/io).
 */
final class LayerCodecs {
  private LayerCodecs() {}

  /** Writes and rebuilds one layer type. */
  record Codec(Class<? extends Layer> type, Encoder encode, Function<JsonNode, Layer> decode) {}

  interface Encoder {
    void write(Layer layer, ObjectNode config);
  }

  private static final Map<String, Codec> BY_NAME = new LinkedHashMap<>();

  private static void add(String name, Class<? extends Layer> type, Encoder e, Function<JsonNode, Layer> d) {
    BY_NAME.put(name, new Codec(type, e, d));
  }

  private static final Encoder NONE = (l, c) -> {};

  static {
    add("Dense", Dense.class, (l, c) -> {
      Dense d = (Dense) l;
      c.put("in_features", d.inFeatures());
      c.put("out_features", d.outFeatures());
      c.put("init", d.init().name());
    }, c -> new Dense(integer(c, "in_features"), integer(c, "out_features"), Init.valueOf(text(c, "init"))));
    add("ReLU", ReLU.class, NONE, c -> new ReLU());
    add("LeakyReLU", LeakyReLU.class, (l, c) -> c.put("negative_slope", (double) ((LeakyReLU) l).slope()),
        c -> new LeakyReLU(real(c, "negative_slope")));
    add("Sigmoid", Sigmoid.class, NONE, c -> new Sigmoid());
    add("Tanh", Tanh.class, NONE, c -> new Tanh());
    add("GELU", GELU.class, NONE, c -> new GELU());
    add("Softmax", Softmax.class, NONE, c -> new Softmax());
    add("Dropout", Dropout.class, (l, c) -> c.put("p", (double) ((Dropout) l).p()), c -> new Dropout(real(c, "p")));
    add("Conv2d", Conv2d.class, (l, c) -> {
      Conv2d.Options o = ((Conv2d) l).options();
      c.put("in_channels", o.inChannels());
      c.put("out_channels", o.outChannels());
      c.putArray("kernel_size").add(o.kernelH()).add(o.kernelW());
      c.putArray("stride").add(o.strideH()).add(o.strideW());
      c.putArray("padding").add(o.padH()).add(o.padW());
      c.put("padding_same", o.samePadding());
      c.putArray("dilation").add(o.dilationH()).add(o.dilationW());
      c.put("bias", o.bias());
      c.put("init", o.init().name());
    }, c -> new Conv2d(new Conv2d.Options(integer(c, "in_channels"), integer(c, "out_channels"), pair(c, "kernel_size", 0), pair(c, "kernel_size", 1),
        pair(c, "stride", 0), pair(c, "stride", 1), pair(c, "padding", 0), pair(c, "padding", 1), bool(c, "padding_same"), pair(c, "dilation", 0),
        pair(c, "dilation", 1), bool(c, "bias"), Init.valueOf(text(c, "init")))));
    add("MaxPool2d", MaxPool2d.class, LayerCodecs::pool, c -> new MaxPool2d(pair(c, "kernel_size", 0), pair(c, "kernel_size", 1), pair(c, "stride", 0),
        pair(c, "stride", 1), pair(c, "padding", 0), pair(c, "padding", 1)));
    add("AvgPool2d", AvgPool2d.class, LayerCodecs::pool, c -> new AvgPool2d(pair(c, "kernel_size", 0), pair(c, "kernel_size", 1), pair(c, "stride", 0),
        pair(c, "stride", 1), pair(c, "padding", 0), pair(c, "padding", 1)));
    add("GlobalAvgPool2d", GlobalAvgPool2d.class, NONE, c -> new GlobalAvgPool2d());
    add("Flatten", Flatten.class, NONE, c -> new Flatten());
    add("BatchNorm1d", BatchNorm1d.class, LayerCodecs::batchNorm,
        c -> new BatchNorm1d(integer(c, "num_features"), real(c, "momentum"), real(c, "eps")));
    add("BatchNorm2d", BatchNorm2d.class, LayerCodecs::batchNorm,
        c -> new BatchNorm2d(integer(c, "num_features"), real(c, "momentum"), real(c, "eps")));
    // sequence models (issue 4); PyTorch's names for the configuration fields
    add("Embedding", Embedding.class, (l, c) -> {
      Embedding e = (Embedding) l;
      c.put("num_embeddings", e.numEmbeddings());
      c.put("embedding_dim", e.dim());
      c.put("padding_idx", e.paddingIdx());
    }, c -> new Embedding(integer(c, "num_embeddings"), integer(c, "embedding_dim"), integer(c, "padding_idx")));
    add("LSTM", LSTM.class, (l, c) -> {
      LSTM r = (LSTM) l;
      recurrent(c, r.inputSize(), r.hiddenSize(), r.numLayers(), r.bidirectional(), r.returnSequences());
    }, c -> LSTM.builder().inputSize(integer(c, "input_size")).hiddenSize(integer(c, "hidden_size")).numLayers(integer(c, "num_layers"))
        .bidirectional(bool(c, "bidirectional")).returnSequences(bool(c, "return_sequences")).build());
    add("GRU", GRU.class, (l, c) -> {
      GRU r = (GRU) l;
      recurrent(c, r.inputSize(), r.hiddenSize(), r.numLayers(), r.bidirectional(), r.returnSequences());
    }, c -> GRU.builder().inputSize(integer(c, "input_size")).hiddenSize(integer(c, "hidden_size")).numLayers(integer(c, "num_layers"))
        .bidirectional(bool(c, "bidirectional")).returnSequences(bool(c, "return_sequences")).build());
    add("GlobalAvgPool1d", GlobalAvgPool1d.class, NONE, c -> new GlobalAvgPool1d());
    add("TimeDistributed", TimeDistributed.class, (l, c) -> c.set("layer", encode(((TimeDistributed) l).inner())),
        c -> new TimeDistributed(decode(field(c, "layer"))));
  }

  private static void recurrent(ObjectNode c, int input, int hidden, int layers, boolean bidirectional, boolean returnSequences) {
    c.put("input_size", input);
    c.put("hidden_size", hidden);
    c.put("num_layers", layers);
    c.put("bidirectional", bidirectional);
    c.put("return_sequences", returnSequences);
  }

  // Pool2dLayer and BatchNorm are package-private bases: their public getters are reached through the public subclasses.
  private static void pool(Layer l, ObjectNode c) {
    int[] k, s, p;
    if (l instanceof MaxPool2d m) {
      k = new int[] {m.kernelH(), m.kernelW()};
      s = new int[] {m.strideH(), m.strideW()};
      p = new int[] {m.paddingH(), m.paddingW()};
    } else {
      AvgPool2d a = (AvgPool2d) l;
      k = new int[] {a.kernelH(), a.kernelW()};
      s = new int[] {a.strideH(), a.strideW()};
      p = new int[] {a.paddingH(), a.paddingW()};
    }
    c.putArray("kernel_size").add(k[0]).add(k[1]);
    c.putArray("stride").add(s[0]).add(s[1]);
    c.putArray("padding").add(p[0]).add(p[1]);
  }

  private static void batchNorm(Layer l, ObjectNode c) {
    int n;
    float momentum, eps;
    if (l instanceof BatchNorm1d b) {
      n = b.numFeatures();
      momentum = b.momentum();
      eps = b.eps();
    } else {
      BatchNorm2d b = (BatchNorm2d) l;
      n = b.numFeatures();
      momentum = b.momentum();
      eps = b.eps();
    }
    c.put("num_features", n);
    c.put("momentum", (double) momentum);
    c.put("eps", (double) eps);
  }

  /** The registered type name of a layer; throws for a type without a codec. */
  static String typeName(Layer l) {
    for (Map.Entry<String, Codec> e : BY_NAME.entrySet()) if (e.getValue().type() == l.getClass()) return e.getKey();
    throw new IllegalArgumentException("checkpoint: layer type " + l.getClass().getName() + " (" + l.name() + ") cannot be saved: it has no entry in "
        + "dev.jnn.io.LayerCodecs; savable types: " + String.join(", ", BY_NAME.keySet()));
  }

  /** {"type": ..., "config": {...}} of a layer. */
  static ObjectNode encode(Layer l) {
    String type = typeName(l);
    ObjectNode n = SafeTensors.JSON.createObjectNode();
    n.put("type", type);
    BY_NAME.get(type).encode().write(l, n.putObject("config"));
    return n;
  }

  /** Rebuilds a layer from its {"type", "config"} node; IllegalArgumentException for an unknown type or a bad config. */
  static Layer decode(JsonNode n) {
    JsonNode t = n.get("type");
    if (t == null || !t.isTextual()) throw new IllegalArgumentException("layer entry without a type: " + n);
    Codec c = BY_NAME.get(t.textValue());
    if (c == null)
      throw new IllegalArgumentException("unknown layer type '" + t.textValue() + "' (this jnn knows " + String.join(", ", BY_NAME.keySet()) + ")");
    JsonNode config = n.get("config");
    if (config == null || !config.isObject()) throw new IllegalArgumentException("layer " + t.textValue() + " has no config object");
    return c.decode().apply(config);
  }

  private static JsonNode field(JsonNode c, String k) {
    JsonNode v = c.get(k);
    if (v == null || v.isNull()) throw new IllegalArgumentException("missing config field '" + k + "' in " + c);
    return v;
  }

  private static int integer(JsonNode c, String k) {
    JsonNode v = field(c, k);
    if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new IllegalArgumentException("config field '" + k + "' must be an integer, got " + v);
    return v.intValue();
  }

  private static float real(JsonNode c, String k) {
    JsonNode v = field(c, k);
    if (!v.isNumber()) throw new IllegalArgumentException("config field '" + k + "' must be a number, got " + v);
    return (float) v.doubleValue();
  }

  private static boolean bool(JsonNode c, String k) {
    JsonNode v = field(c, k);
    if (!v.isBoolean()) throw new IllegalArgumentException("config field '" + k + "' must be true or false, got " + v);
    return v.booleanValue();
  }

  private static String text(JsonNode c, String k) {
    JsonNode v = field(c, k);
    if (!v.isTextual()) throw new IllegalArgumentException("config field '" + k + "' must be a string, got " + v);
    return v.textValue();
  }

  private static int pair(JsonNode c, String k, int i) {
    JsonNode v = field(c, k);
    if (!v.isArray() || v.size() != 2 || !v.get(i).isIntegralNumber() || !v.get(i).canConvertToInt())
      throw new IllegalArgumentException("config field '" + k + "' must be a pair of integers [h, w], got " + v);
    return v.get(i).intValue();
  }
}
