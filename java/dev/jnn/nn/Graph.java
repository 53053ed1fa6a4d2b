package dev.jnn.nn;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A functional graph of layers (Keras' functional API, Caffe's Net): inputs, layer calls on
 * nodes, merges ({@link Add}, {@link Concat}, {@link Multiply}), several inputs and outputs.
 * It is built and checked once, then forward runs the nodes in topological order and backward in
 * reverse; where a node's output feeds several consumers their gradients are summed (the first
 * written, the others added with {@code axpy}, as Caffe's split layer does). A layer object
 * applied at two nodes shares its weights, and its parameter gradient is the sum of both uses.
 * See docs/ARCHITECTURE.md, "Graphs".
 *
 * <pre>{@code
 * Graph.Builder g = Graph.builder();
 * Graph.Node x = g.input("x", 16);                               // (batch, 16)
 * Graph.Node h = g.apply(new Dense(16, 16), x);                  // node "dense_1"
 * h = g.apply(new ReLU(), h);
 * Graph.Node y = g.apply(new Add(), h, x);                       // residual: relu(dense(x)) + x
 * Graph net = g.build(g.apply(new Dense(16, 1), y));
 * Model model = Model.of(net);                                   // compile, fit, save, load
 * }</pre>
 *
 * <p><b>Checks at build time</b>, each naming the nodes and shapes: unknown or duplicate node
 * names, cycles, inputs that reach no output, nodes whose output reaches no output, a layer
 * given the wrong number of inputs, shapes that do not fit ({@link Layer#outputShape}). Input
 * shapes exclude the batch dimension.
 *
 * <p><b>Shared layers.</b> A layer holds the state of one forward pass, so at its second and
 * later nodes the graph runs a replica: a layer of the same type and configuration (rebuilt
 * through {@link LayerRegistry}) whose parameters use the original's value tensors and keep
 * gradients of their own, summed into the original's after backward. A shared layer must
 * therefore be registered, and must have no buffers (BatchNorm's running statistics cannot be
 * shared; use two instances).
 *
 * <p><b>Names.</b> A node is named by the caller or after its layer's class ({@code dense_1},
 * {@code relu_2}, {@code add_1}); a layer's parameters are named after its first node
 * ({@code "dense_1.weight"}).
 */
public final class Graph extends Layer {

  /** A value of a graph under construction: a graph input or a layer's output, with its shape (batch as -1). */
  public static final class Node {
    private final Builder owner;
    private final String name;
    private final int[] shape;

    private Node(Builder owner, String name, int[] shape) {
      this.owner = owner;
      this.name = name;
      this.shape = shape;
    }

    public String name() { return name; }

    /** The shape of the node's value, batch dimension as -1. */
    public int[] shape() { return shape.clone(); }

    @Override
    public String toString() { return name + shapeString(shape); }
  }

  /** A declared node: an input (layer null, shape given) or a layer applied to named inputs. */
  private record Spec(String name, Layer layer, String[] inputs, int[] inputShape) {}

  public static Builder builder() { return new Builder(); }

  /** Declares inputs and layer nodes, then {@link #build}s the graph. */
  public static final class Builder {
    private final Map<String, Spec> specs = new LinkedHashMap<>();
    private final Map<String, int[]> shapes = new HashMap<>();   // known shapes of nodes declared with handles
    private final Map<String, Integer> counters = new HashMap<>();

    private Builder() {}

    /** A graph input of shape (batch, featureShape...), named {@code input_1}, {@code input_2}, ... */
    public Node input(int... featureShape) { return input(autoName("input"), featureShape); }

    /** A named graph input of shape (batch, featureShape...). */
    public Node input(String name, int... featureShape) {
      Objects.requireNonNull(featureShape, "featureShape");
      for (int d : featureShape)
        if (d < 1) throw new IllegalArgumentException("Graph input '" + name + "': dimensions must be >= 1, got " + Arrays.toString(featureShape));
      int[] s = new int[featureShape.length + 1];
      s[0] = -1;
      System.arraycopy(featureShape, 0, s, 1, featureShape.length);
      declare(new Spec(name, null, new String[0], s));
      shapes.put(name, s);
      return new Node(this, name, s);
    }

    /** Applies a layer to nodes (a merge to several), as a node named after the layer's class. */
    public Node apply(Layer layer, Node... inputs) {
      Objects.requireNonNull(layer, "Graph.apply: layer is null");
      return apply(autoName(layer.getClass().getSimpleName().toLowerCase(Locale.ROOT)), layer, inputs);
    }

    /** Applies a layer to nodes as a node of the given name; checks the shapes now. */
    public Node apply(String name, Layer layer, Node... inputs) {
      Objects.requireNonNull(layer, "Graph.apply: layer is null");
      Objects.requireNonNull(inputs, "Graph.apply: inputs are null");
      String[] ins = new String[inputs.length];
      int[][] ss = new int[inputs.length][];
      for (int i = 0; i < inputs.length; i++) {
        Node n = Objects.requireNonNull(inputs[i], "Graph.apply: input " + i + " of node '" + name + "' is null");
        if (n.owner != this)
          throw new IllegalArgumentException("Graph.apply: node '" + name + "' gets input '" + n.name + "' of another graph builder");
        ins[i] = n.name;
        ss[i] = n.shape;
      }
      int[] out = outputShapeAt(name, layer, ss, ins);
      declare(new Spec(name, layer, ins, null));
      shapes.put(name, out);
      return new Node(this, name, out);
    }

    /**
     * Applies a layer to the nodes with these names, which may be declared later (the form a
     * saved graph is rebuilt from); shapes and cycles are checked by {@link #build}.
     */
    public Builder connect(String name, Layer layer, String... inputs) {
      Objects.requireNonNull(layer, "Graph.connect: layer is null");
      declare(new Spec(name, layer, inputs.clone(), null));
      return this;
    }

    /** The graph with these outputs. */
    public Graph build(Node... outputs) {
      String[] names = new String[outputs.length];
      for (int i = 0; i < outputs.length; i++) {
        Node n = Objects.requireNonNull(outputs[i], "Graph.build: output " + i + " is null");
        if (n.owner != this) throw new IllegalArgumentException("Graph.build: output '" + n.name + "' is a node of another graph builder");
        names[i] = n.name;
      }
      return build(names);
    }

    /** The graph with the nodes of these names as outputs. */
    public Graph build(String... outputs) { return new Graph(new ArrayList<>(specs.values()), outputs.clone()); }

    private void declare(Spec s) {
      String n = s.name();
      if (n == null || n.isEmpty() || n.contains(".") || n.contains("#"))
        throw new IllegalArgumentException("Graph: node name '" + n + "' must be non-empty, without '.' or '#' (it becomes a parameter path)");
      if (specs.containsKey(n)) throw new IllegalArgumentException("Graph: a node named '" + n + "' exists already");
      specs.put(n, s);
    }

    private String autoName(String base) {
      String n;
      do n = base + "_" + counters.merge(base, 1, Integer::sum); while (specs.containsKey(n));
      return n;
    }
  }

  static boolean sameDim(int a, int b) { return a == b || a < 0 || b < 0; }

  /** Shapes equal up to unknown (-1) dimensions. */
  static boolean sameShape(int[] a, int[] b) {
    if (a.length != b.length) return false;
    for (int i = 0; i < a.length; i++) if (!sameDim(a[i], b[i])) return false;
    return true;
  }

  private static int[] outputShapeAt(String node, Layer layer, int[][] ss, String[] ins) {
    int a = layer.arity();
    if (a >= 0 ? ss.length != a : ss.length < 2)
      throw new IllegalArgumentException("Graph: node '" + node + "' applies " + layer.name() + ", which takes " + (a >= 0 ? Integer.toString(a) : "2 or more")
          + " input(s), to " + ss.length + " (" + String.join(", ", ins) + ")");
    try {
      return layer.outputShape(ss);
    } catch (IllegalArgumentException e) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < ss.length; i++) sb.append(i == 0 ? "" : ", ").append(ins[i]).append(' ').append(shapeString(ss[i]));
      throw new IllegalArgumentException("Graph: node '" + node + "' (" + layer.name() + ") does not fit its input(s) " + sb + ": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- the built graph

  private final List<Spec> specs;            // declaration order (kept for the configuration)
  private final String[] outputNames;
  private final int n;                       // nodes: inputs first, then layer nodes in topological order
  private final String[] names;
  private final Layer[] layers;              // null for inputs
  private final int[][] in;                  // input node indices of each node
  private final int[][] shapes;              // value shapes, batch as -1
  private final int[] consumers;             // edges out of each node, plus one per output slot
  private final int[] outputs, inputIdx;
  private final int[] firstUse;              // index of the first node applying the same layer (itself if first)
  private final List<Child> children;

  // run state
  private final Layer[] exec;                // what runs at each node: the layer, or a replica at a second use
  private final Parameter[][][] sharedParams;  // per replica node: {the original's parameters, the replica's}
  private boolean replicasReady;
  private final Tensor[] values, grads, acc;
  private final boolean[] accStarted;
  private final Tensor[][] args;
  private final Tensor[] outValues, inGrads;
  private boolean ranForward;

  private Graph(List<Spec> specList, String[] outs) {
    Map<String, Spec> byName = new LinkedHashMap<>();
    for (Spec s : specList) byName.put(s.name(), s);
    if (outs.length == 0) throw new IllegalArgumentException("Graph.build: no outputs");
    for (String o : outs)
      if (!byName.containsKey(o)) throw new IllegalArgumentException("Graph.build: output '" + o + "' is not a node (nodes: " + byName.keySet() + ")");
    for (Spec s : specList)
      for (String i : s.inputs())
        if (!byName.containsKey(i)) throw new IllegalArgumentException("Graph: node '" + s.name() + "' takes input '" + i + "', which is not a node");
    // topological order (Kahn), inputs first in declaration order
    List<Spec> order = new ArrayList<>();
    for (Spec s : specList) if (s.layer() == null) order.add(s);
    if (order.isEmpty()) throw new IllegalArgumentException("Graph.build: no inputs");
    Map<String, Integer> pending = new HashMap<>();
    Map<String, List<Spec>> users = new HashMap<>();
    for (Spec s : specList) {
      if (s.layer() == null) continue;
      pending.put(s.name(), s.inputs().length);
      for (String i : s.inputs()) users.computeIfAbsent(i, k -> new ArrayList<>()).add(s);
    }
    ArrayDeque<Spec> ready = new ArrayDeque<>(order);
    for (Spec s : specList) if (s.layer() != null && s.inputs().length == 0) ready.add(s);
    List<Spec> layerOrder = new ArrayList<>();
    while (!ready.isEmpty()) {
      Spec s = ready.poll();
      if (s.layer() != null) layerOrder.add(s);
      for (Spec u : users.getOrDefault(s.name(), List.of())) {
        int left = pending.merge(u.name(), -1, Integer::sum);
        if (left == 0) ready.add(u);
      }
    }
    if (order.size() + layerOrder.size() != specList.size()) {
      List<String> stuck = new ArrayList<>();
      for (Spec s : specList) if (s.layer() != null && pending.getOrDefault(s.name(), 0) > 0) stuck.add(s.name());
      throw new IllegalArgumentException("Graph: the nodes " + stuck + " form a cycle (or depend on one): a graph must be acyclic");
    }
    order.addAll(layerOrder);
    this.specs = List.copyOf(specList);
    this.outputNames = outs;
    n = order.size();
    names = new String[n];
    layers = new Layer[n];
    in = new int[n][];
    shapes = new int[n][];
    Map<String, Integer> idx = new HashMap<>();
    for (int i = 0; i < n; i++) {
      Spec s = order.get(i);
      names[i] = s.name();
      layers[i] = s.layer();
      idx.put(s.name(), i);
      in[i] = new int[s.inputs().length];
      for (int j = 0; j < in[i].length; j++) in[i][j] = idx.get(s.inputs()[j]);
    }
    int numInputs = 0;
    while (numInputs < n && layers[numInputs] == null) numInputs++;
    inputIdx = new int[numInputs];
    for (int i = 0; i < numInputs; i++) inputIdx[i] = i;
    outputs = new int[outs.length];
    for (int i = 0; i < outs.length; i++) outputs[i] = idx.get(outs[i]);
    consumers = new int[n];
    for (int i = 0; i < n; i++) for (int j : in[i]) consumers[j]++;
    for (int o : outputs) consumers[o]++;
    // everything must reach an output
    boolean[] live = new boolean[n];
    for (int o : outputs) live[o] = true;
    for (int i = n - 1; i >= 0; i--) if (live[i]) for (int j : in[i]) live[j] = true;
    List<String> unusedInputs = new ArrayList<>(), dangling = new ArrayList<>();
    for (int i = 0; i < n; i++) if (!live[i]) (layers[i] == null ? unusedInputs : dangling).add(names[i]);
    if (!unusedInputs.isEmpty())
      throw new IllegalArgumentException("Graph: input(s) " + unusedInputs + " reach no output (outputs: " + Arrays.toString(outs) + ")");
    if (!dangling.isEmpty())
      throw new IllegalArgumentException("Graph: node(s) " + dangling + " reach no output (outputs: " + Arrays.toString(outs) + "); make them outputs or remove them");
    // shapes
    for (int i = 0; i < n; i++) {
      if (layers[i] == null) {
        shapes[i] = order.get(i).inputShape().clone();
        continue;
      }
      int[][] ss = new int[in[i].length][];
      String[] ins = new String[in[i].length];
      for (int j = 0; j < ss.length; j++) {
        ss[j] = shapes[in[i][j]];
        ins[j] = names[in[i][j]];
      }
      shapes[i] = outputShapeAt(names[i], layers[i], ss, ins);
    }
    // shared layers, children
    firstUse = new int[n];
    IdentityHashMap<Layer, Integer> first = new IdentityHashMap<>();
    List<Child> cs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (layers[i] == null) continue;
      Integer f = first.putIfAbsent(layers[i], i);
      firstUse[i] = f == null ? i : f;
      if (f == null) {
        if (layers[i].allLayers().contains(this)) throw new IllegalArgumentException("Graph: node '" + names[i] + "' applies a layer that contains this graph");
        cs.add(child(names[i], layers[i]));
      } else {
        Layer l = layers[i];
        if (!l.buffers().isEmpty())
          throw new IllegalArgumentException("Graph: " + l.name() + " is applied at nodes '" + names[f] + "' and '" + names[i] + "' but has buffers "
              + l.buffers().keySet() + ", which two uses cannot share; use two instances");
        LayerRegistry.typeOf(l);   // a replica is rebuilt through the registry: fail now, naming how to register
      }
    }
    children = Collections.unmodifiableList(cs);
    Device d = cs.isEmpty() ? Device.JAVA : cs.get(0).layer().device();
    for (Child c : cs) if (!c.layer().device().equals(d)) c.layer().to(d);
    if (!device().equals(d)) super.to(d);
    exec = new Layer[n];
    sharedParams = new Parameter[n][][];
    values = new Tensor[n];
    grads = new Tensor[n];
    acc = new Tensor[n];
    accStarted = new boolean[n];
    args = new Tensor[n][];
    for (int i = 0; i < n; i++) args[i] = new Tensor[in[i].length];
    outValues = new Tensor[outputs.length];
    inGrads = new Tensor[inputIdx.length];
    updateGradRequired();
  }

  // ---------------------------------------------------------------- accessors

  @Override
  public String name() { return "Graph(" + inputIdx.length + " input(s), " + (n - inputIdx.length) + " nodes, " + outputs.length + " output(s))"; }

  @Override
  public List<Child> children() { return children; }

  @Override
  public int arity() { return inputIdx.length; }

  /** The input names, in order. */
  public List<String> inputNames() {
    List<String> r = new ArrayList<>();
    for (int i : inputIdx) r.add(names[i]);
    return r;
  }

  /** The output names, in order. */
  public List<String> outputNames() { return List.of(outputNames); }

  /** The shape of input i, batch as -1. */
  public int[] inputShape(int i) { return shapes[inputIdx[i]].clone(); }

  /** The number of outputs. */
  public int outputCount() { return outputs.length; }

  /** Node names in topological order (inputs first), for summaries and messages. */
  public List<String> nodeNames() { return List.of(names); }

  /** The layer applied at a node (null for an input). */
  public Layer layerAt(String node) {
    for (int i = 0; i < n; i++) if (names[i].equals(node)) return layers[i];
    throw new IllegalArgumentException("Graph: no node '" + node + "' (nodes: " + Arrays.toString(names) + ")");
  }

  /** The names of the nodes feeding a node. */
  public List<String> inputsOf(String node) {
    for (int i = 0; i < n; i++)
      if (names[i].equals(node)) {
        List<String> r = new ArrayList<>();
        for (int j : in[i]) r.add(names[j]);
        return r;
      }
    throw new IllegalArgumentException("Graph: no node '" + node + "'");
  }

  // ---------------------------------------------------------------- shapes

  @Override
  public int[] outputShape(int[] inputShape) { return outputShape(new int[][] {inputShape}); }

  @Override
  public int[] outputShape(int[][] inputShapes) {
    requireSingleOutput("outputShape");
    return outputShapes(inputShapes)[0];
  }

  /** The shape of every output for these input shapes (batch as -1 or a size). */
  public int[][] outputShapes(int[][] inputShapes) {
    int[][] s = propagate(inputShapes);
    int[][] r = new int[outputs.length][];
    for (int i = 0; i < outputs.length; i++) r[i] = s[outputs[i]];
    return r;
  }

  private int[][] propagate(int[][] inputShapes) {
    if (inputShapes.length != inputIdx.length)
      throw new IllegalArgumentException(name() + ": takes " + inputIdx.length + " input(s) " + inputNames() + ", got " + inputShapes.length);
    int[][] s = new int[n][];
    for (int i = 0; i < inputIdx.length; i++) {
      if (!sameShape(inputShapes[i], shapes[i]))
        throw new IllegalArgumentException(name() + ": input '" + names[i] + "' " + shapeString(inputShapes[i]) + " must have shape " + shapeString(shapes[i]));
      s[i] = inputShapes[i].clone();
    }
    for (int i = inputIdx.length; i < n; i++) {
      int[][] ss = new int[in[i].length][];
      String[] ins = new String[in[i].length];
      for (int j = 0; j < ss.length; j++) {
        ss[j] = s[in[i][j]];
        ins[j] = names[in[i][j]];
      }
      s[i] = outputShapeAt(names[i], layers[i], ss, ins);
    }
    return s;
  }

  @Override
  public Map<String, int[]> childOutputShapes(int[][] inputShapes) {
    int[][] s = propagate(inputShapes);
    Map<String, int[]> m = new LinkedHashMap<>();
    for (int i = inputIdx.length; i < n; i++) m.put(names[i], s[i]);
    return m;
  }

  @Override
  public int inputFeatures() { return inputIdx.length == 1 && shapes[0].length == 2 ? shapes[0][1] : -1; }

  @Override
  public int[][] inputShapes() {
    int[][] r = new int[inputIdx.length][];
    for (int i = 0; i < r.length; i++) r[i] = shapes[i].clone();
    return r;
  }

  // ---------------------------------------------------------------- forward

  @Override
  public Tensor forward(Tensor input, boolean training) {
    if (inputIdx.length != 1)
      throw new IllegalArgumentException(name() + ": takes " + inputIdx.length + " inputs " + inputNames() + "; call forward(Tensor[], boolean)");
    args0[0] = input;
    return forward(args0, training);
  }

  private final Tensor[] args0 = new Tensor[1];

  @Override
  public Tensor forward(Tensor[] inputs, boolean training) {
    requireSingleOutput("forward");
    return forwardOutputs(inputs, training)[0];
  }

  /** Runs the graph; returns every output's value, in an array the graph owns (valid until the next forward). */
  public Tensor[] forwardOutputs(Tensor[] inputs, boolean training) {
    Objects.requireNonNull(inputs, "Graph: inputs are null");
    if (inputs.length != inputIdx.length)
      throw new IllegalArgumentException(name() + ": takes " + inputIdx.length + " input(s) " + inputNames() + ", got " + inputs.length);
    for (int i = 0; i < inputs.length; i++) {
      Tensor x = inputs[i];
      if (x == null) throw new NullPointerException(name() + ": input '" + names[i] + "' is null");
      if (!x.device().equals(device())) checkDevice("input '" + names[i] + "'", x);   // the message is built only for the error
      int[] want = shapes[i];
      boolean ok = x.rank() == want.length;
      for (int d = 1; ok && d < want.length; d++) ok = x.dim(d) == want[d];
      if (!ok) throw new IllegalArgumentException(name() + ": input '" + names[i] + "' " + x.shapeString() + " must have shape " + shapeString(want));
      if (i > 0 && x.dim(0) != inputs[0].dim(0))
        throw new IllegalArgumentException(name() + ": inputs '" + names[0] + "' " + inputs[0].shapeString() + " and '" + names[i] + "' " + x.shapeString()
            + " have different batch sizes");
      values[i] = x;
    }
    ensureReplicas();
    for (int i = inputIdx.length; i < n; i++) {
      Tensor[] a = args[i];
      for (int j = 0; j < a.length; j++) a[j] = values[in[i][j]];
      Layer l = exec[i];
      if (l != layers[i]) l.backend = layers[i].backend;   // a replica computes on the original's (possibly profiled) backend
      values[i] = l.callAs(layers[i], a, training);
    }
    for (int i = 0; i < outputs.length; i++) outValues[i] = values[outputs[i]];
    ranForward = true;
    return outValues;
  }

  // ---------------------------------------------------------------- backward

  @Override
  public Tensor backward(Tensor gradOutput) {
    Tensor[] g = backwardAll(gradOutput);
    return g[0];
  }

  private final Tensor[] dys0 = new Tensor[1];

  @Override
  public Tensor[] backwardAll(Tensor gradOutput) {
    requireSingleOutput("backward");
    dys0[0] = gradOutput;
    return backwardOutputs(dys0);
  }

  /**
   * Backward from the gradients of every output (in output order); returns the gradient of each
   * input (null where not required), in an array the graph owns.
   */
  public Tensor[] backwardOutputs(Tensor[] gradOutputs) {
    if (!ranForward) throw new IllegalStateException(name() + ": backward called before forward");
    Objects.requireNonNull(gradOutputs, "Graph: gradOutputs are null");
    if (gradOutputs.length != outputs.length)
      throw new IllegalArgumentException(name() + ": has " + outputs.length + " output(s) " + outputNames() + ", got " + gradOutputs.length + " gradient(s)");
    for (int i = 0; i < outputs.length; i++) {
      Tensor dy = gradOutputs[i];
      if (dy == null) throw new NullPointerException(name() + ": the gradient of output '" + outputNames[i] + "' is null");
      if (!dy.device().equals(device())) checkDevice("gradient of output '" + outputNames[i] + "'", dy);
      if (!dy.sameShape(values[outputs[i]]))
        throw new IllegalArgumentException(name() + ": the gradient of output '" + outputNames[i] + "' " + dy.shapeString() + " must have the output's shape "
            + values[outputs[i]].shapeString());
    }
    Arrays.fill(grads, null);
    Arrays.fill(accStarted, false);
    for (int i = 0; i < outputs.length; i++) contribute(outputs[i], gradOutputs[i]);
    for (int i = n - 1; i >= inputIdx.length; i--) {
      Tensor g = grads[i];
      Tensor[] dx = exec[i].callBackwardAllAs(layers[i], g);
      for (int j = 0; j < in[i].length; j++) if (dx[j] != null) contribute(in[i][j], dx[j]);
    }
    sumSharedGradients();
    for (int i = 0; i < inputIdx.length; i++) inGrads[i] = grads[i];
    return inGrads;
  }

  /** Adds one incoming gradient to node m: the tensor itself where m has one consumer; else written into m's sum, then added. */
  private void contribute(int m, Tensor d) {
    if (consumers[m] == 1) {
      grads[m] = d;
      return;
    }
    Tensor a = acc[m];
    if (a == null || !a.sameShape(d)) {
      if (a != null) a.close();
      acc[m] = a = Tensor.zeros(device(), d.shape());
    }
    if (!accStarted[m]) {
      backend.copy(d, a);
      accStarted[m] = true;
    } else {
      backend.axpy(1f, d, a);
    }
    grads[m] = a;
  }

  /** The parameter gradients of every replica added into the original's. */
  private void sumSharedGradients() {
    for (int i = inputIdx.length; i < n; i++) {
      Parameter[][] p = sharedParams[i];
      if (p == null) continue;
      for (int k = 0; k < p[0].length; k++) backend.axpy(1f, p[1][k].grad(), p[0][k].grad());
    }
  }

  // ---------------------------------------------------------------- replicas of shared layers

  private void ensureReplicas() {
    if (replicasReady) return;
    for (int i = inputIdx.length; i < n; i++) {
      if (firstUse[i] == i) {
        exec[i] = layers[i];
        continue;
      }
      Layer orig = layers[i];
      Layer r = LayerRegistry.rebuild(orig);
      r.initialize(new SplittableRandom(0x9E3779B97F4A7C15L * (i + 1)));   // its own dropout stream, say; the weights are the original's
      r.to(orig.device());
      List<Parameter> mine = orig.parameters(), theirs = r.parameters();
      if (mine.size() != theirs.size())
        throw new IllegalStateException(name() + ": the replica of " + orig.name() + " at node '" + names[i] + "' has " + theirs.size() + " parameters, the layer "
            + mine.size() + " (its registry entry does not rebuild the same layer)");
      for (int k = 0; k < mine.size(); k++) theirs.get(k).shareValueOf(mine.get(k));
      exec[i] = r;
      sharedParams[i] = new Parameter[][] {mine.toArray(new Parameter[0]), theirs.toArray(new Parameter[0])};
    }
    replicasReady = true;
    updateGradRequired();
  }

  private void dropReplicas() {
    if (!replicasReady) return;
    for (int i = inputIdx.length; i < n; i++) if (exec[i] != null && exec[i] != layers[i]) exec[i].release();
    Arrays.fill(exec, null);
    Arrays.fill(sharedParams, null);
    replicasReady = false;
  }

  // ---------------------------------------------------------------- gradients required

  @Override
  public void setInputGradRequired(boolean required) {
    super.setInputGradRequired(required);
    updateGradRequired();
  }

  /** A node's input needs a gradient unless it is a graph input whose gradient is not required. */
  private void updateGradRequired() {
    if (exec == null) return;
    for (int i = inputIdx.length; i < n; i++) {
      Layer l = exec[i] != null ? exec[i] : layers[i];
      if (exec[i] == null && firstUse[i] != i) continue;   // replica not made yet
      for (int j = 0; j < in[i].length; j++) {
        boolean need = in[i][j] >= inputIdx.length || inputGradRequired();
        if (l.arity() == 1) l.setInputGradRequired(need || anyOtherUseNeeds(i));
        else l.setInputGradRequired(j, need);
      }
    }
  }

  /** A layer applied at one node before its replicas exist keeps input gradients if another use needs them. */
  private boolean anyOtherUseNeeds(int node) {
    if (replicasReady) return false;
    for (int i = inputIdx.length; i < n; i++)
      if (i != node && layers[i] == layers[node]) for (int j : in[i]) if (j >= inputIdx.length || inputGradRequired()) return true;
    return false;
  }

  // ---------------------------------------------------------------- device

  @Override
  public Graph to(Device target) {
    super.to(target);
    return this;
  }

  @Override
  public Graph init(long seed) {
    super.init(seed);
    return this;
  }

  @Override
  protected void onDeviceChanged() {
    if (values == null) return;   // during construction
    dropReplicas();
    Arrays.fill(values, null);
    Arrays.fill(grads, null);
    for (int i = 0; i < n; i++) {
      if (acc[i] != null) acc[i].close();
      acc[i] = null;
    }
    ranForward = false;
  }

  private void requireSingleOutput(String what) {
    if (outputs.length != 1)
      throw new IllegalStateException(name() + ": has " + outputs.length + " outputs " + outputNames() + "; use " + (what.equals("backward") ? "backwardOutputs"
          : what.equals("forward") ? "forwardOutputs" : "outputShapes"));
  }

  // ---------------------------------------------------------------- configuration (checkpoints)

  /** Inputs with shapes, nodes with their layer (or the node whose layer they share) and inputs, outputs. */
  static void writeConfig(Graph g, LayerConfig c) {
    List<LayerConfig> ins = new ArrayList<>(), nodes = new ArrayList<>();
    for (int i : g.inputIdx) ins.add(new LayerConfig().put("name", g.names[i]).put("shape", Arrays.copyOfRange(g.shapes[i], 1, g.shapes[i].length)));
    for (int i = g.inputIdx.length; i < g.n; i++) {
      LayerConfig nc = new LayerConfig().put("name", g.names[i]);
      if (g.firstUse[i] == i) nc.putLayer("layer", g.layers[i]);
      else nc.put("shares", g.names[g.firstUse[i]]);
      List<String> inputs = new ArrayList<>();
      for (int j : g.in[i]) inputs.add(g.names[j]);
      nc.put("inputs", String.join(",", inputs));
      nodes.add(nc);
    }
    c.putConfigs("inputs", ins);
    c.putConfigs("nodes", nodes);
    c.put("outputs", String.join(",", g.outputNames));
  }

  static Graph fromConfig(LayerConfig c) {
    Builder b = builder();
    for (LayerConfig i : c.getConfigs("inputs")) b.input(i.getString("name"), i.getInts("shape"));
    Map<String, Layer> byNode = new HashMap<>();
    for (LayerConfig nc : c.getConfigs("nodes")) {
      String name = nc.getString("name");
      Layer l;
      if (nc.has("shares")) {
        l = byNode.get(nc.getString("shares"));
        if (l == null) throw new IllegalArgumentException("graph node '" + name + "' shares the layer of '" + nc.getString("shares") + "', which is not an earlier node");
      } else {
        l = nc.getLayer("layer");
      }
      byNode.put(name, l);
      String ins = nc.getString("inputs");
      b.connect(name, l, ins.isEmpty() ? new String[0] : ins.split(","));
    }
    return b.build(c.getString("outputs").split(","));
  }
}
