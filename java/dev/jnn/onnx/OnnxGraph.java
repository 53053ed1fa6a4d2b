package dev.jnn.onnx;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import dev.jnn.nn.Layer;
import dev.jnn.nn.Parameter;
import dev.jnn.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The ONNX graph under construction while a network is exported: converters ({@link OnnxExport.Converter})
 * add nodes and initializers through it and call their children with {@link #call}. Values are
 * named by strings; the graph records the rank of each (the batch axis included), which is all a
 * converter needs to choose between ops (a rank-2 Dense is a {@code Gemm}, any other rank a
 * {@code MatMul} and an {@code Add}).
 *
 * <pre>{@code
 * OnnxExport.register(Scale.class, (layer, in, g) ->
 *     g.op("Mul", g.rank(in[0]), in[0], g.scalar(layer.factor())));
 * }</pre>
 *
 * Weights become initializers named by their dotted paths ({@code "0.weight"}), each stored
 * once however many nodes use it; the messages are written with ONNX's generated protobuf
 * classes ({@code ai.onnx.proto.OnnxMl}). docs/ONNX.md lists what each jnn layer becomes.
 */
public final class OnnxGraph {
  private final OnnxMl.GraphProto.Builder graph = OnnxMl.GraphProto.newBuilder().setName("jnn");
  private final int opset;
  private final Map<String, Integer> ranks = new HashMap<>();
  private final Map<String, Integer> used = new HashMap<>();
  private final IdentityHashMap<Tensor, String> tensorNames = new IdentityHashMap<>();
  private final IdentityHashMap<Layer, String> layerPaths = new IdentityHashMap<>();
  private final Map<String, String> derived = new HashMap<>();
  private String scope = "";

  OnnxGraph(Layer root, int opset) {
    this.opset = opset;
    root.namedParameters().forEach((path, p) -> tensorNames.putIfAbsent(p.value(), path));
    root.buffers().forEach((path, t) -> tensorNames.putIfAbsent(t, path));
    root.namedLayers().forEach((path, l) -> layerPaths.putIfAbsent(l, path));
  }

  /** The opset the model is written for (17 or newer). */
  public int opset() { return opset; }

  /** The rank of a value (batch axis included). */
  public int rank(String value) {
    Integer r = ranks.get(value);
    if (r == null) throw new IllegalStateException("ONNX export: unknown value '" + value + "'");
    return r;
  }

  /**
   * Converts a layer (a child of the one being converted) on the given inputs through its
   * registered converter and returns its output; fails naming the layer when it has none.
   */
  public String call(Layer layer, String... inputs) {
    String outer = scope;
    String path = layerPaths.get(layer);
    scope = path == null || path.isEmpty() ? outer : path;
    try {
      return OnnxExport.convert(layer, path, inputs, this);
    } finally {
      scope = outer;
    }
  }

  /** One node with one output of the given rank; attributes as name/value pairs (int, long, float, double, String, int[], long[], float[]). */
  public String op(String opType, int outRank, String[] inputs, Object... attributes) {
    return ops(opType, new int[] {outRank}, inputs, attributes)[0];
  }

  /** {@link #op(String, int, String[], Object...)} without attributes. */
  public String op(String opType, int outRank, String... inputs) { return op(opType, outRank, inputs, new Object[0]); }

  /** One node with several outputs, one rank each. */
  public String[] ops(String opType, int[] outRanks, String[] inputs, Object... attributes) {
    if (attributes.length % 2 != 0) throw new IllegalArgumentException("ONNX export: attributes come as name/value pairs");
    String base = fresh(scope.isEmpty() ? opType : scope + "/" + opType);
    OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(opType).setName(base);
    for (String in : inputs) {
      if (!in.isEmpty()) rank(in);   // "" is an omitted optional input
      n.addInput(in);
    }
    String[] outs = new String[outRanks.length];
    for (int i = 0; i < outs.length; i++) {
      outs[i] = outRanks.length == 1 ? base : base + ":" + i;
      ranks.put(outs[i], outRanks[i]);
      n.addOutput(outs[i]);
    }
    for (int i = 0; i < attributes.length; i += 2) n.addAttribute(attribute((String) attributes[i], attributes[i + 1]));
    graph.addNode(n);
    return outs;
  }

  /** A node with one output given its name (graph outputs). */
  void named(String opType, String output, int outRank, String... inputs) {
    OnnxMl.NodeProto.Builder n = OnnxMl.NodeProto.newBuilder().setOpType(opType).setName(fresh(output + "/" + opType));
    for (String in : inputs) n.addInput(in);
    n.addOutput(output);
    ranks.put(output, outRank);
    graph.addNode(n);
  }

  /** A parameter's value as an initializer named by its dotted path (once). */
  public String weight(Parameter p) { return tensor(p.value()); }

  /** A parameter or buffer tensor as an initializer named by its dotted path (once); other tensors get a fresh name. */
  public String tensor(Tensor t) {
    String path = tensorNames.get(t);
    String key = "t:" + (path != null ? path : "@" + System.identityHashCode(t));
    String have = derived.get(key);
    if (have != null) return have;
    String name = path != null ? uniqueExact(path) : fresh(scope + "/tensor");
    addFloat(name, t.toArray(), t.shape());
    derived.put(key, name);
    return name;
  }

  /**
   * An initializer computed from a parameter (a transposed or reordered weight), named
   * {@code <path>_<suffix>} and made once per parameter and suffix.
   */
  public String derived(Parameter p, String suffix, java.util.function.Supplier<float[]> values, int... dims) {
    return derived(p.value(), suffix, values, dims);
  }

  /** {@link #derived(Parameter, String, java.util.function.Supplier, int...)} for any tensor of the model. */
  public String derived(Tensor t, String suffix, java.util.function.Supplier<float[]> values, int... dims) {
    String path = tensorNames.get(t);
    String key = "d:" + (path != null ? path : "@" + System.identityHashCode(t)) + ":" + suffix;
    String have = derived.get(key);
    if (have != null) return have;
    String name = fresh((path != null ? path : scope + "/tensor") + "_" + suffix);
    addFloat(name, values.get(), dims);
    derived.put(key, name);
    return name;
  }

  /** A float constant initializer. */
  public String floats(float[] values, int... dims) {
    String name = fresh(scope.isEmpty() ? "const" : scope + "/const");
    addFloat(name, values, dims);
    return name;
  }

  /** A float scalar constant (rank 0). */
  public String scalar(float v) { return floats(new float[] {v}); }

  /** An int64 vector constant (shapes, axes, indices), rank 1. */
  public String longs(long... values) {
    String name = fresh(scope.isEmpty() ? "const" : scope + "/const");
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (long v : values) b.putLong(v);
    graph.addInitializer(OnnxMl.TensorProto.newBuilder().setName(name).setDataType(OnnxMl.TensorProto.DataType.INT64_VALUE).addDims(values.length)
        .setRawData(ByteString.copyFrom(b.array())));
    ranks.put(name, 1);
    return name;
  }

  /** An int64 scalar constant (rank 0), e.g. a Gather index. */
  public String longScalar(long v) {
    String name = fresh(scope.isEmpty() ? "const" : scope + "/const");
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
    graph.addInitializer(OnnxMl.TensorProto.newBuilder().setName(name).setDataType(OnnxMl.TensorProto.DataType.INT64_VALUE)
        .setRawData(ByteString.copyFrom(b.array())));
    ranks.put(name, 0);
    return name;
  }

  /** {@code ReduceMean} over the given axes (an attribute before opset 18, an input from 18 on). */
  public String reduceMean(String x, boolean keepDims, long... axes) {
    int r = rank(x) - (keepDims ? 0 : axes.length);
    if (opset >= 18) return op("ReduceMean", r, new String[] {x, longs(axes)}, "keepdims", keepDims ? 1 : 0);
    return op("ReduceMean", r, new String[] {x}, "axes", axes, "keepdims", keepDims ? 1 : 0);
  }

  /** {@code Cast} to float (1), int64 (7) or bool (9). */
  public String cast(String x, int onnxType) { return op("Cast", rank(x), new String[] {x}, "to", onnxType); }

  /** ONNX's float element type. */
  public static final int FLOAT = OnnxMl.TensorProto.DataType.FLOAT_VALUE;
  /** ONNX's int64 element type. */
  public static final int INT64 = OnnxMl.TensorProto.DataType.INT64_VALUE;
  /** ONNX's bool element type. */
  public static final int BOOL = OnnxMl.TensorProto.DataType.BOOL_VALUE;

  // ---------------------------------------------------------------- model assembly (OnnxExport)

  void input(String name, int[] shape, String[] dimNames) {
    graph.addInput(valueInfo(name, shape, dimNames));
    ranks.put(name, shape.length);
    used.merge(name, 1, Integer::sum);
  }

  void output(String name, int[] shape, String[] dimNames) { graph.addOutput(valueInfo(name, shape, dimNames)); }

  /** Reserves a graph input or output name (so that no node takes it). */
  void reserve(String name) {
    if (used.containsKey(name)) throw new IllegalArgumentException("ONNX export: the name '" + name + "' is used twice");
    used.put(name, 1);
  }

  OnnxMl.ModelProto model(String producerVersion) {
    long ir = opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
    return OnnxMl.ModelProto.newBuilder().setIrVersion(ir).setProducerName("jnn").setProducerVersion(producerVersion)
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(graph).build();
  }

  private static OnnxMl.ValueInfoProto valueInfo(String name, int[] shape, String[] dimNames) {
    OnnxMl.TensorShapeProto.Builder s = OnnxMl.TensorShapeProto.newBuilder();
    for (int i = 0; i < shape.length; i++) {
      OnnxMl.TensorShapeProto.Dimension.Builder d = OnnxMl.TensorShapeProto.Dimension.newBuilder();
      if (shape[i] >= 0) d.setDimValue(shape[i]);
      else if (dimNames != null && dimNames[i] != null) d.setDimParam(dimNames[i]);
      s.addDim(d);
    }
    OnnxMl.TypeProto.Tensor.Builder t = OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT_VALUE).setShape(s);
    return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder().setTensorType(t)).build();
  }

  private void addFloat(String name, float[] values, int[] dims) {
    if (Tensor.sizeOf(dims) != values.length)
      throw new IllegalStateException("ONNX export: initializer " + name + " has " + values.length + " values for dims " + java.util.Arrays.toString(dims));
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) b.putFloat(v);
    OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(OnnxMl.TensorProto.DataType.FLOAT_VALUE);
    for (int d : dims) t.addDims(d);
    graph.addInitializer(t.setRawData(ByteString.copyFrom(b.array())));
    ranks.put(name, dims.length);
  }

  private String fresh(String base) {
    int k = used.merge(base, 1, Integer::sum);
    return k == 1 ? base : fresh(base + "_" + (k - 1));
  }

  private String uniqueExact(String path) { return fresh(path); }

  private static OnnxMl.AttributeProto attribute(String name, Object v) {
    OnnxMl.AttributeProto.Builder a = OnnxMl.AttributeProto.newBuilder().setName(name);
    if (v instanceof Integer || v instanceof Long) {
      a.setType(OnnxMl.AttributeProto.AttributeType.INT).setI(((Number) v).longValue());
    } else if (v instanceof Float || v instanceof Double) {
      a.setType(OnnxMl.AttributeProto.AttributeType.FLOAT).setF(((Number) v).floatValue());
    } else if (v instanceof String s) {
      a.setType(OnnxMl.AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
    } else if (v instanceof int[] is) {
      a.setType(OnnxMl.AttributeProto.AttributeType.INTS);
      for (int i : is) a.addInts(i);
    } else if (v instanceof long[] ls) {
      a.setType(OnnxMl.AttributeProto.AttributeType.INTS);
      for (long l : ls) a.addInts(l);
    } else if (v instanceof float[] fs) {
      a.setType(OnnxMl.AttributeProto.AttributeType.FLOATS);
      for (float f : fs) a.addFloats(f);
    } else if (v instanceof String[] ss) {
      a.setType(OnnxMl.AttributeProto.AttributeType.STRINGS);
      for (String s : ss) a.addStrings(ByteString.copyFromUtf8(s));
    } else {
      throw new IllegalArgumentException("ONNX export: attribute " + name + " has an unsupported value type " + (v == null ? "null" : v.getClass().getName()));
    }
    return a.build();
  }
}
