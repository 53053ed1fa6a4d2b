package dev.jnn.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The layer types a checkpoint can hold: a type name, how to write a layer's configuration and
 * how to rebuild the layer from it. jnn's own layers are listed in one block below (an explicit
 * list, no self-registration); a user's layer type is added with one call to {@link #register},
 * made before saving or loading (docs/ARCHITECTURE.md, "Checkpoints").
 *
 * <pre>{@code
 * public final class Scale extends Layer { ... public float factor() { ... } }
 *
 * LayerRegistry.register("Scale", Scale.class,
 *     (layer, config) -> config.put("factor", layer.factor()),     // what rebuilds it
 *     config -> new Scale(config.getFloat("factor")));
 * model.save(path);                                                 // a graph holding Scale layers
 * Model again = Model.load(path);                                   // rebuilt through the entry
 * }</pre>
 *
 * <p>Weights are not part of the configuration: the checkpoint stores them as tensors named by
 * the layers' dotted paths ({@link Layer#namedParameters()}) and loads them after rebuilding.
 * Registering a name twice with a different class is an error; the same class again replaces the
 * entry (a reloaded class). Thread-safe.
 */
public final class LayerRegistry {
  private LayerRegistry() {}

  /** Writes the configuration of a layer of type L. */
  @FunctionalInterface
  public interface Writer<L extends Layer> {
    void write(L layer, LayerConfig config);
  }

  /** One registered type. */
  public record Entry<L extends Layer>(String type, Class<L> layerClass, Writer<L> writer, Function<LayerConfig, L> reader) {}

  private static final Map<String, Entry<?>> BY_NAME = new LinkedHashMap<>();
  private static final Map<Class<?>, Entry<?>> BY_CLASS = new LinkedHashMap<>();

  /**
   * Registers a layer type: {@code writer} puts everything the constructor needs into the
   * config, {@code reader} builds a fresh layer from it.
   */
  public static synchronized <L extends Layer> void register(String type, Class<L> layerClass, Writer<L> writer, Function<LayerConfig, L> reader) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(layerClass, "layerClass");
    Objects.requireNonNull(writer, "writer");
    Objects.requireNonNull(reader, "reader");
    if (type.isBlank()) throw new IllegalArgumentException("LayerRegistry.register: empty type name");
    Entry<?> old = BY_NAME.get(type);
    if (old != null && !old.layerClass().getName().equals(layerClass.getName()))
      throw new IllegalArgumentException("LayerRegistry.register: type '" + type + "' is already registered for " + old.layerClass().getName()
          + "; choose another name for " + layerClass.getName());
    Entry<?> prev = BY_CLASS.get(layerClass);
    if (prev != null && !prev.type().equals(type)) BY_NAME.remove(prev.type());
    Entry<L> e = new Entry<>(type, layerClass, writer, reader);
    BY_NAME.put(type, e);
    BY_CLASS.put(layerClass, e);
  }

  /** Whether a type name is registered. */
  public static synchronized boolean isRegistered(String type) { return BY_NAME.containsKey(type); }

  /** The registered type names, jnn's own first. */
  public static synchronized java.util.List<String> types() { return java.util.List.copyOf(BY_NAME.keySet()); }

  /** The registered type name of a layer; throws naming the class and how to register it. */
  public static synchronized String typeOf(Layer layer) {
    Entry<?> e = BY_CLASS.get(layer.getClass());
    if (e == null)
      throw new IllegalArgumentException("layer type " + layer.getClass().getName() + " (" + layer.name() + ") is not registered, so it cannot be "
          + "saved or rebuilt: call LayerRegistry.register(\"" + layer.getClass().getSimpleName() + "\", " + layer.getClass().getSimpleName()
          + ".class, writer, reader) once before saving or loading (docs/ARCHITECTURE.md, \"Checkpoints\")");
    return e.type();
  }

  /** {@code {"type": ..., "config": {...}}} of a layer. */
  @SuppressWarnings("unchecked")
  public static LayerConfig encode(Layer layer) {
    Objects.requireNonNull(layer, "layer");
    Entry<Layer> e;
    synchronized (LayerRegistry.class) {
      e = (Entry<Layer>) BY_NAME.get(typeOf(layer));
    }
    LayerConfig config = new LayerConfig();
    e.writer().write(layer, config);
    return new LayerConfig().put("type", e.type()).put("config", config);
  }

  /** Rebuilds a layer from its {@code {"type", "config"}}; IllegalArgumentException naming an unknown type and how to register it. */
  public static Layer decode(LayerConfig node) {
    Objects.requireNonNull(node, "node");
    String type = node.getString("type");
    Entry<?> e;
    synchronized (LayerRegistry.class) {
      e = BY_NAME.get(type);
    }
    if (e == null)
      throw new IllegalArgumentException("unknown layer type '" + type + "': register it with LayerRegistry.register(\"" + type
          + "\", TheClass.class, writer, reader) before loading (registered: " + String.join(", ", types()) + ")");
    Layer l = e.reader().apply(node.getConfig("config"));
    if (l == null || l.getClass() != e.layerClass())
      throw new IllegalStateException("LayerRegistry: the reader of '" + type + "' returned " + (l == null ? "null" : l.getClass().getName())
          + ", expected " + e.layerClass().getName());
    return l;
  }

  /** A fresh layer of the same type and configuration (weights are not copied). */
  public static Layer rebuild(Layer layer) { return decode(encode(layer)); }

  private static <L extends Layer> void builtin(String type, Class<L> c, Writer<L> w, Function<LayerConfig, L> r) { register(type, c, w, r); }

  private static <L extends Layer> void parameterless(String type, Class<L> c, java.util.function.Supplier<L> s) {
    register(type, c, (l, cfg) -> {}, cfg -> s.get());
  }

  private static void pool(Pool2dLayer l, LayerConfig c) {
    c.put("kernel_size", new int[] {l.kernelH(), l.kernelW()});
    c.put("stride", new int[] {l.strideH(), l.strideW()});
    c.put("padding", new int[] {l.paddingH(), l.paddingW()});
  }

  private static void batchNorm(BatchNorm l, LayerConfig c) {
    c.put("num_features", l.numFeatures());
    c.put("momentum", l.momentum());
    c.put("eps", l.eps());
  }

  private static void recurrent(Recurrent r, LayerConfig c) {
    c.put("input_size", r.inputSize());
    c.put("hidden_size", r.hiddenSize());
    c.put("num_layers", r.numLayers());
    c.put("bidirectional", r.bidirectional());
    c.put("return_sequences", r.returnSequences());
  }

  private static <B extends Recurrent.Builder<?, B>> B recurrent(B b, LayerConfig c) {
    return b.inputSize(c.getInt("input_size")).hiddenSize(c.getInt("hidden_size")).numLayers(c.getInt("num_layers"))
        .bidirectional(c.getBoolean("bidirectional")).returnSequences(c.getBoolean("return_sequences"));
  }

  // jnn's own layers; configuration field names are PyTorch's where PyTorch has the layer.
  static {
    builtin("Dense", Dense.class, (d, c) -> c.put("in_features", d.inFeatures()).put("out_features", d.outFeatures()).put("init", d.init().name()),
        c -> new Dense(c.getInt("in_features"), c.getInt("out_features"), Init.valueOf(c.getString("init"))));
    parameterless("ReLU", ReLU.class, ReLU::new);
    builtin("LeakyReLU", LeakyReLU.class, (l, c) -> c.put("negative_slope", l.slope()), c -> new LeakyReLU(c.getFloat("negative_slope")));
    parameterless("Sigmoid", Sigmoid.class, Sigmoid::new);
    parameterless("Tanh", Tanh.class, Tanh::new);
    parameterless("GELU", GELU.class, GELU::new);
    parameterless("Softmax", Softmax.class, Softmax::new);
    builtin("Dropout", Dropout.class, (l, c) -> c.put("p", l.p()), c -> new Dropout(c.getFloat("p")));
    builtin("Conv2d", Conv2d.class, (l, c) -> {
      Conv2d.Options o = l.options();
      c.put("in_channels", o.inChannels()).put("out_channels", o.outChannels());
      c.put("kernel_size", new int[] {o.kernelH(), o.kernelW()}).put("stride", new int[] {o.strideH(), o.strideW()});
      c.put("padding", new int[] {o.padH(), o.padW()}).put("padding_same", o.samePadding());
      c.put("dilation", new int[] {o.dilationH(), o.dilationW()}).put("bias", o.bias()).put("init", o.init().name());
    }, c -> {
      int[] k = pair(c, "kernel_size"), s = pair(c, "stride"), p = pair(c, "padding"), d = pair(c, "dilation");
      return new Conv2d(new Conv2d.Options(c.getInt("in_channels"), c.getInt("out_channels"), k[0], k[1], s[0], s[1], p[0], p[1],
          c.getBoolean("padding_same"), d[0], d[1], c.getBoolean("bias"), Init.valueOf(c.getString("init"))));
    });
    builtin("MaxPool2d", MaxPool2d.class, LayerRegistry::pool, c -> {
      int[] k = pair(c, "kernel_size"), s = pair(c, "stride"), p = pair(c, "padding");
      return new MaxPool2d(k[0], k[1], s[0], s[1], p[0], p[1]);
    });
    builtin("AvgPool2d", AvgPool2d.class, LayerRegistry::pool, c -> {
      int[] k = pair(c, "kernel_size"), s = pair(c, "stride"), p = pair(c, "padding");
      return new AvgPool2d(k[0], k[1], s[0], s[1], p[0], p[1]);
    });
    parameterless("GlobalAvgPool2d", GlobalAvgPool2d.class, GlobalAvgPool2d::new);
    parameterless("Flatten", Flatten.class, Flatten::new);
    builtin("BatchNorm1d", BatchNorm1d.class, LayerRegistry::batchNorm,
        c -> new BatchNorm1d(c.getInt("num_features"), c.getFloat("momentum"), c.getFloat("eps")));
    builtin("BatchNorm2d", BatchNorm2d.class, LayerRegistry::batchNorm,
        c -> new BatchNorm2d(c.getInt("num_features"), c.getFloat("momentum"), c.getFloat("eps")));
    builtin("Embedding", Embedding.class, (e, c) -> c.put("num_embeddings", e.numEmbeddings()).put("embedding_dim", e.dim()).put("padding_idx", e.paddingIdx()),
        c -> new Embedding(c.getInt("num_embeddings"), c.getInt("embedding_dim"), c.getInt("padding_idx")));
    builtin("LSTM", LSTM.class, LayerRegistry::recurrent, c -> recurrent(LSTM.builder(), c).build());
    builtin("GRU", GRU.class, LayerRegistry::recurrent, c -> recurrent(GRU.builder(), c).build());
    parameterless("GlobalAvgPool1d", GlobalAvgPool1d.class, GlobalAvgPool1d::new);
    builtin("TimeDistributed", TimeDistributed.class, (t, c) -> c.putLayer("layer", t.inner()), c -> new TimeDistributed(c.getLayer("layer")));
    builtin("LayerNorm", LayerNorm.class, (l, c) -> c.put("normalized_shape", l.features()).put("eps", l.eps()),
        c -> new LayerNorm(c.getInt("normalized_shape"), c.getFloat("eps")));
    builtin("MultiheadAttention", MultiHeadAttention.class, MultiHeadAttention::writeConfig, MultiHeadAttention::fromConfig);
    builtin("TransformerEncoderLayer", TransformerEncoderLayer.class, TransformerEncoderLayer::writeConfig, TransformerEncoderLayer::fromConfig);
    builtin("TransformerEncoder", TransformerEncoder.class, TransformerEncoder::writeConfig, TransformerEncoder::fromConfig);
    builtin("PositionalEmbedding", PositionalEmbedding.class, (l, c) -> c.put("max_length", l.maxLength()).put("embedding_dim", l.dim()),
        c -> new PositionalEmbedding(c.getInt("max_length"), c.getInt("embedding_dim")));
    builtin("Bert", Bert.class, Bert::writeConfig, Bert::fromConfig);
    builtin("BertPooler", BertPooler.class, (l, c) -> c.put("hidden_size", l.hidden()), c -> new BertPooler(c.getInt("hidden_size")));
    parameterless("GatherPositions", GatherPositions.class, GatherPositions::new);
    // composition
    builtin("Sequential", Sequential.class, (s, c) -> c.putLayers("layers", s.layers()), c -> new Sequential(c.getLayers("layers").toArray(new Layer[0])));
    builtin("Graph", Graph.class, Graph::writeConfig, Graph::fromConfig);
    parameterless("Add", Add.class, Add::new);
    parameterless("Multiply", Multiply.class, Multiply::new);
    builtin("Concat", Concat.class, (l, c) -> c.put("axis", l.axis()), c -> new Concat(c.getInt("axis")));
  }

  private static int[] pair(LayerConfig c, String key) {
    int[] v = c.getInts(key);
    if (v.length != 2) throw new IllegalArgumentException("config field '" + key + "' must be a pair of integers [h, w], got " + java.util.Arrays.toString(v));
    return v;
  }
}
