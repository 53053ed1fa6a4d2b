package dev.jnn.onnx;

import dev.jnn.nn.Layer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Writes a jnn network as an ONNX model (opset 17 or newer) for inference: what
 * {@code model.predict} computes, with dropout off and batch normalization on its running
 * statistics. Each layer class maps to ONNX ops through a converter registered here by class
 * (jnn's own layers in {@link Converters}; docs/ONNX.md lists the ops); a layer without one fails
 * the export with a message naming it, before anything is written.
 *
 * <pre>{@code
 * OnnxExport.export(model.network(), Path.of("cnn.onnx"), OnnxExport.Options.defaults());
 * OnnxExport.export(net, Path.of("enc.onnx"), OnnxExport.Options.defaults()
 *     .inputShapes(new int[] {-1, 128}, new int[] {-1, 128})    // fixed sequence length 128
 *     .inputNames("ids", "mask").outputNames("hidden"));
 * OnnxExport.register(Scale.class, (layer, in, g) -> g.op("Mul", g.rank(in[0]), in[0], g.scalar(layer.factor())));
 * }</pre>
 *
 * <p>Inputs are float tensors, as jnn's (token ids too: the graph casts them). The batch axis is
 * dynamic ({@code "batch"}) unless {@link Options#dynamicBatch(boolean)} is false; other axes the
 * network does not fix (sequence length, image size) are dynamic too unless
 * {@link Options#inputShapes} fixes them.
 *
 * <p>The protobuf classes come from {@code org.tribuo:tribuo-util-onnx}, an optional dependency
 * of jnn: without it on the classpath the export throws {@link IllegalStateException} naming it.
 */
public final class OnnxExport {
  private OnnxExport() {}

  /** The Maven coordinates of the library whose generated ONNX protobuf classes write the file. */
  public static final String ARTIFACT = "org.tribuo:tribuo-util-onnx:4.3.2";

  /** The lowest opset written (LayerNormalization is an opset-17 op). */
  public static final int MIN_OPSET = 17;
  /** The highest opset this exporter knows the op signatures of. */
  public static final int MAX_OPSET = 21;

  /** Converts one layer: adds its nodes to {@code g} and returns the name of its output value. */
  @FunctionalInterface
  public interface Converter<L extends Layer> {
    String convert(L layer, String[] inputs, OnnxGraph g);
  }

  /** Converts a layer with several outputs (a graph) at the top of the model. */
  @FunctionalInterface
  interface MultiConverter<L extends Layer> {
    String[] convert(L layer, String[] inputs, OnnxGraph g);
  }

  /**
   * One registered conversion: the converter, the input shapes a layer of this class fixes when
   * it comes first (batch and unknown axes -1; null: none), and whether it takes any number of
   * leading axes (so that {@code TimeDistributed} passes it rank-3 input as is); for a graph also
   * all its outputs and its own input and output names (else null).
   */
  record Entry<L extends Layer>(Converter<L> converter, Function<L, int[][]> inputShapes, boolean anyLeadingAxes, MultiConverter<L> all,
                                Function<L, List<String>> inputNames, Function<L, List<String>> outputNames) {}

  private static final Map<Class<?>, Entry<?>> BY_CLASS = new LinkedHashMap<>();

  /** Registers (or replaces) the conversion of a layer class, e.g. a user's own layer. */
  public static <L extends Layer> void register(Class<L> layerClass, Converter<L> converter) {
    register(layerClass, converter, null, false);
  }

  /** {@link #register(Class, Converter)} with the input shapes the layer fixes when it comes first, and whether it takes any leading axes. */
  public static synchronized <L extends Layer> void register(Class<L> layerClass, Converter<L> converter, Function<L, int[][]> inputShapes,
      boolean anyLeadingAxes) {
    Objects.requireNonNull(layerClass, "layerClass");
    Objects.requireNonNull(converter, "converter");
    BY_CLASS.put(layerClass, new Entry<>(converter, inputShapes, anyLeadingAxes, null, null, null));
  }

  static synchronized <L extends Layer> void register(Class<L> layerClass, Entry<L> e) { BY_CLASS.put(layerClass, e); }

  /** Whether a layer class has a conversion. */
  public static synchronized boolean isRegistered(Class<? extends Layer> layerClass) {
    Converters.ensureLoaded();
    return BY_CLASS.containsKey(layerClass);
  }

  @SuppressWarnings("unchecked")
  static synchronized <L extends Layer> Entry<L> entry(L layer) {
    Converters.ensureLoaded();
    return (Entry<L>) BY_CLASS.get(layer.getClass());
  }

  static String describe(Layer layer, String path) {
    return (path == null || path.isEmpty() ? "" : "'" + path + "' ") + layer.name() + " (" + layer.getClass().getName() + ")";
  }

  static <L extends Layer> String convert(L layer, String path, String[] inputs, OnnxGraph g) {
    Entry<L> e = entry(layer);
    if (e == null)
      throw new IllegalArgumentException("ONNX export: layer " + describe(layer, path) + " has no ONNX conversion, so the model cannot be exported; "
          + "register one with OnnxExport.register(" + layer.getClass().getSimpleName() + ".class, converter) (docs/ONNX.md)");
    return e.converter().convert(layer, inputs, g);
  }

  /** The input shapes (batch -1) a network fixes, from its conversion entry, or null. */
  static int[][] fixedInputShapes(Layer net) {
    Entry<Layer> e = entry(net);
    return e == null || e.inputShapes() == null ? null : e.inputShapes().apply(net);
  }

  static boolean anyLeadingAxes(Layer layer) {
    Entry<Layer> e = entry(layer);
    return e != null && e.anyLeadingAxes();
  }

  // ---------------------------------------------------------------- options

  /**
   * What to write: opset, input shapes (batch and dynamic axes -1), whether the batch axis is
   * dynamic, input and output names. Immutable; each method returns a changed copy.
   */
  public record Options(int opset, boolean dynamicBatch, int[][] inputShapes, List<String> inputNames, List<String> outputNames) {
    public Options {
      if (opset < MIN_OPSET || opset > MAX_OPSET)
        throw new IllegalArgumentException("ONNX export: opset " + opset + " is not supported; use " + MIN_OPSET + " to " + MAX_OPSET);
      inputNames = inputNames == null ? null : List.copyOf(inputNames);
      outputNames = outputNames == null ? null : List.copyOf(outputNames);
      if (inputShapes != null) {
        int[][] c = new int[inputShapes.length][];
        for (int i = 0; i < c.length; i++) c[i] = inputShapes[i].clone();
        inputShapes = c;
      }
    }

    /** Opset 17, dynamic batch, shapes from the network, names "input"/"output" (a graph's own input and output names). */
    public static Options defaults() { return new Options(MIN_OPSET, true, null, null, null); }

    public Options opset(int v) { return new Options(v, dynamicBatch, inputShapes, inputNames, outputNames); }
    /** false: the batch size is the first dimension of {@link #inputShapes}, fixed. */
    public Options dynamicBatch(boolean v) { return new Options(opset, v, inputShapes, inputNames, outputNames); }
    /** Full input shapes, one per input: -1 for a dynamic axis, e.g. {@code new int[] {-1, 3, 32, 32}}. */
    public Options inputShapes(int[]... v) { return new Options(opset, dynamicBatch, v, inputNames, outputNames); }
    public Options inputNames(String... v) { return new Options(opset, dynamicBatch, inputShapes, List.of(v), outputNames); }
    public Options outputNames(String... v) { return new Options(opset, dynamicBatch, inputShapes, inputNames, List.of(v)); }
  }

  // ---------------------------------------------------------------- export

  /** Writes the ONNX model of a network to a file (atomically: a temporary file, then a rename). */
  public static void export(Layer network, Path path, Options options) throws IOException {
    Objects.requireNonNull(path, "path");
    byte[] bytes = toBytes(network, options);
    Path abs = path.toAbsolutePath();
    Path dir = abs.getParent();
    if (dir != null) Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
    try {
      try (OutputStream out = Files.newOutputStream(tmp)) {
        out.write(bytes);
      }
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The serialized ONNX model of a network. */
  public static byte[] toBytes(Layer network, Options options) {
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(options, "options");
    requireProtobuf();
    return Writer.write(network, options);
  }

  private static void requireProtobuf() {
    try {
      Class.forName("ai.onnx.proto.OnnxMl", false, OnnxExport.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalStateException("ONNX export needs ONNX's protobuf classes from " + ARTIFACT + ", an optional dependency of jnn that is not on the "
          + "classpath: add it to your project (the jnn command has it)", e);
    }
  }

  /** The export itself, in a class of its own so that OnnxExport loads without the protobuf classes. */
  private static final class Writer {
    private Writer() {}

    static byte[] write(Layer net, Options o) {
      int arity = Math.max(net.arity(), 1);
      int[][] shapes = o.inputShapes() != null ? o.inputShapes() : fixedInputShapes(net);
      if (shapes == null)
        throw new IllegalArgumentException("ONNX export: " + net.name() + " does not fix its input shape; give it with Options.inputShapes(...) "
            + "(batch and dynamic axes -1)");
      if (shapes.length != arity)
        throw new IllegalArgumentException("ONNX export: " + net.name() + " takes " + arity + " input(s), got " + shapes.length + " input shape(s)");
      int[][] fixed = o.inputShapes() != null ? fixedInputShapes(net) : null;
      if (fixed != null)
        for (int i = 0; i < arity; i++) {
          boolean fits = fixed[i].length == shapes[i].length;
          for (int a = 1; fits && a < fixed[i].length; a++) fits = fixed[i][a] < 0 || shapes[i][a] < 0 || fixed[i][a] == shapes[i][a];
          if (!fits)
            throw new IllegalArgumentException("ONNX export: input shape " + Arrays.toString(shapes[i]) + " does not fit " + net.name() + ", which takes "
                + Arrays.toString(fixed[i]) + " (-1: any)");
        }
      Entry<Layer> entry = entry(net);
      List<String> inNames = o.inputNames() != null ? o.inputNames()
          : entry != null && entry.inputNames() != null ? entry.inputNames().apply(net) : arity == 1 ? List.of("input") : numbered("input", arity);
      if (inNames.size() != arity) throw new IllegalArgumentException("ONNX export: " + arity + " input name(s) needed, got " + inNames);

      OnnxGraph g = new OnnxGraph(net, o.opset());
      String[] ins = new String[arity];
      for (int i = 0; i < arity; i++) {
        int[] s = shapes[i].clone();
        if (s.length == 0) throw new IllegalArgumentException("ONNX export: input " + i + " needs at least the batch axis");
        if (!o.dynamicBatch() && s[0] < 1)
          throw new IllegalArgumentException("ONNX export: with a fixed batch, input shape " + Arrays.toString(s) + " must give the batch size");
        if (o.dynamicBatch()) s[0] = -1;
        g.input(inNames.get(i), s, dimNames(s, i, arity));
        ins[i] = inNames.get(i);
      }
      String[] outs = entry != null && entry.all() != null ? entry.all().convert(net, ins, g) : new String[] {g.call(net, ins)};
      List<String> outNames = o.outputNames() != null ? o.outputNames()
          : entry != null && entry.outputNames() != null ? entry.outputNames().apply(net) : outs.length == 1 ? List.of("output") : numbered("output", outs.length);
      if (outNames.size() != outs.length) throw new IllegalArgumentException("ONNX export: " + outs.length + " output name(s) needed, got " + outNames);
      int[][] outShapes = outs.length == 1 ? outputShapes(net, shapes) : null;
      for (int i = 0; i < outs.length; i++) {
        String name = outNames.get(i);
        g.reserve(name);
        g.named("Identity", name, g.rank(outs[i]), outs[i]);
        int[] s = outShapes != null && outShapes[i].length == g.rank(outs[i]) ? outShapes[i] : unknown(g.rank(outs[i]));
        if (o.dynamicBatch()) s[0] = -1;
        String[] dn = new String[s.length];
        dn[0] = o.dynamicBatch() ? "batch" : null;
        g.output(name, s, dn);
      }
      return g.model(version()).toByteArray();
    }

    private static List<String> numbered(String base, int n) {
      List<String> r = new ArrayList<>();
      for (int i = 0; i < n; i++) r.add(base + "_" + i);
      return r;
    }

    private static String[] dimNames(int[] s, int input, int inputs) {
      String[] n = new String[s.length];
      for (int a = 0; a < s.length; a++)
        if (s[a] < 0) n[a] = a == 0 ? "batch" : a == 1 && s.length <= 3 ? "sequence" : (inputs > 1 ? "input" + input + "_" : "") + "axis" + a;
      return n;
    }

    private static int[] unknown(int rank) {
      int[] s = new int[rank];
      Arrays.fill(s, -1);
      return s;
    }

    /** The output's static shape when every input axis but the batch is fixed, else null; input shapes that do not fit fail naming the layer. */
    private static int[][] outputShapes(Layer net, int[][] in) {
      for (int[] s : in)
        for (int i = 1; i < s.length; i++) if (s[i] < 1) return null;   // dynamic axes: the layers' static arithmetic would not hold
      int[][] r = new int[in.length][];
      for (int i = 0; i < r.length; i++) {
        r[i] = in[i].clone();
        r[i][0] = -1;
      }
      try {
        return new int[][] {r.length == 1 ? net.outputShape(r[0]) : net.outputShape(r)};
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("ONNX export: the input shapes do not fit the network: " + e.getMessage(), e);
      }
    }

    private static String version() {
      String v = OnnxExport.class.getPackage() == null ? null : OnnxExport.class.getPackage().getImplementationVersion();
      return v == null ? "dev" : v;
    }
  }
}
