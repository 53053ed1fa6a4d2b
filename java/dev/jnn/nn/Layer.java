package dev.jnn.nn;

import dev.jnn.backend.Backend;
import dev.jnn.backend.Backends;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A network layer with explicit forward and backward passes (Caffe / llm.c style, no autograd
 * tape; docs/ARCHITECTURE.md, "Layers and composition").
 *
 * <ul>
 *   <li>{@link #forward(Tensor, boolean)} validates its input in Java (null, device, shape) before
 *       any kernel call, computes the output into a buffer the layer owns, and remembers what
 *       backward needs. The returned tensor stays valid until the next forward with an input of
 *       the same shape; copy it to keep it. The input must not change before backward.</li>
 *   <li>{@link #backward(Tensor)} writes (overwrites) the parameter gradients and returns the
 *       gradient with respect to the input of the last forward; before any forward it throws
 *       {@link IllegalStateException} naming the layer.</li>
 *   <li>Work buffers are allocated once per input shape and reused ({@link ShapeCache}), so a
 *       steady-state training step allocates nothing.</li>
 * </ul>
 *
 * <p>A layer lives on one device (initially {@link Device#JAVA}, like tensors made without a
 * device); {@link #to(Device)} moves its parameters (host devices share memory: no copy) and its
 * kernels to that device's backend. Parameters are always initialized on the host and uploaded.
 * On a device (e.g. {@code cuda:0}) a layer holds device memory: its parameters, gradients,
 * buffers and per-shape work buffers; {@link #release()} gives it all back to the device's pool
 * (moving the layer to a host device first keeps the weights). Layers are not thread-safe.
 *
 * <p><b>Composition.</b> A layer made of other layers lists them in {@link #children()} (with
 * the names that make PyTorch's dotted paths, {@code "encoder.0.weight"}) and calls them through
 * {@link #call} and {@link #callBackward}. Everything that walks a model recurses through
 * {@code children()}: {@link #parameters()}, {@link #namedParameters()}, {@link #buffers()},
 * {@link #to}, {@link #release()}, {@link #initialize}, the profiler's ranges and checkpoint
 * names. A layer declares only its own parameters and buffers ({@link #ownParameters()},
 * {@link #ownBuffers()}).
 *
 * <pre>{@code
 * final class Residual extends Layer {                      // y = x + f(x)
 *   private final Layer f;
 *   private final Add add = new Add();
 *   private final Tensor[] pair = new Tensor[2];
 *   private Tensor dx;
 *   Residual(Layer f) { this.f = f; }
 *   public String name() { return "Residual(" + f.name() + ")"; }
 *   public List<Child> children() { return List.of(child("f", f), child("add", add)); }
 *   public Tensor forward(Tensor x, boolean training) {
 *     pair[0] = x;
 *     pair[1] = f.call(x, training);                          // call: the child's profiler range
 *     return add.call(pair, training);
 *   }
 *   public Tensor backward(Tensor dy) {                      // x fans out: its two gradients are summed
 *     Tensor[] d = add.callBackwardAll(dy);                  // {dy, dy}
 *     Tensor df = f.callBackward(d[1]);
 *     if (dx == null || !dx.sameShape(df)) {
 *       Tensor.closeAll(dx);                                 // on a device: back to the pool
 *       dx = Tensor.zeros(device(), df.shape());
 *     }
 *     backend.add(d[0], df, dx);
 *     return dx;
 *   }
 *   protected void onDeviceChanged() { Tensor.closeAll(dx); dx = null; }
 * }
 * }</pre>
 * (The functional {@link Graph} does this bookkeeping for any wiring.)
 *
 * <pre>{@code
 * Dense d = new Dense(10, 50);             // on the host, initialized
 * d.to(Device.cuda(0));                    // parameters uploaded
 * Tensor y = d.forward(x, false);          // x on cuda:0; y is the layer's buffer
 * d.to(Device.CPU);                        // weights back on the host; device memory returned
 * }</pre>
 */
public abstract class Layer {
  private Device device = Device.JAVA;
  /** The kernels of this layer's device; layers call only its public methods. */
  protected Backend backend = Backends.java();
  private boolean inputGradRequired = true;

  /** A readable name with the sizes, used in every error message, e.g. {@code Dense(10->50)}. */
  public abstract String name();

  /** Runs the layer on a batch; {@code training} selects training behaviour (dropout masks, batch statistics of batch norm). */
  public abstract Tensor forward(Tensor input, boolean training);

  /**
   * Gradient of the objective with respect to the last forward's input, given the gradient with
   * respect to its output; writes the parameter gradients. Returns null when
   * {@link #setInputGradRequired(boolean) setInputGradRequired(false)} was set and the layer can
   * skip that work (the first layer of a model).
   */
  public abstract Tensor backward(Tensor gradOutput);

  // ---------------------------------------------------------------- composition

  /** A sublayer and its name in dotted paths ({@code ""}: transparent, its names are the parent's). */
  public record Child(String name, Layer layer) {
    public Child {
      Objects.requireNonNull(name, "child name");
      Objects.requireNonNull(layer, "child layer");
      if (name.contains(".")) throw new IllegalArgumentException("child name '" + name + "' must not contain '.'");
    }
  }

  /** {@code new Child(name, layer)}, for {@link #children()} overrides. */
  protected static Child child(String name, Layer layer) { return new Child(name, layer); }

  /**
   * The sublayers, in a fixed order, with their names (empty for a leaf layer). A layer that
   * appears twice (a shared block) is walked once.
   */
  public List<Child> children() { return List.of(); }

  /** Runs {@link #forward} inside the profiler's and NVTX's range for this layer (when one is recording): how a composite calls a child. */
  public final Tensor call(Tensor input, boolean training) {
    ProfileHooks.Listener h = ProfileHooks.listener();   // null unless profiling or NVTX ranges are on
    return h == null ? forward(input, training) : ProfileHooks.forward(h, this, input, training);
  }

  /** Runs {@link #backward} inside the profiler's and NVTX's range for this layer: how a composite calls a child. */
  public final Tensor callBackward(Tensor gradOutput) {
    ProfileHooks.Listener h = ProfileHooks.listener();
    return h == null ? backward(gradOutput) : ProfileHooks.backward(h, this, gradOutput);
  }

  // ---------------------------------------------------------------- several inputs (merges, graphs)

  private Tensor[] oneGrad;

  /** The number of inputs the layer takes: 1 (default), -1 for any number >= 2 (merges), or a graph's input count. */
  public int arity() { return 1; }

  /** Forward on several inputs; the default takes exactly one (and calls {@link #forward(Tensor, boolean)}). */
  public Tensor forward(Tensor[] inputs, boolean training) {
    requireOneInput(inputs == null ? -1 : inputs.length);
    return forward(inputs[0], training);
  }

  /**
   * The gradient with respect to each input of the last forward, in an array the layer owns
   * (valid until the next backward); the default wraps {@link #backward(Tensor)}.
   */
  public Tensor[] backwardAll(Tensor gradOutput) {
    Tensor dx = backward(gradOutput);
    if (oneGrad == null) oneGrad = new Tensor[Math.max(1, arity())];   // inputs after the first (masks, positions) get no gradient
    oneGrad[0] = dx;
    return oneGrad;
  }

  /** The output shape for several input shapes; the default takes exactly one. */
  public int[] outputShape(int[][] inputShapes) {
    requireOneInput(inputShapes.length);
    return outputShape(inputShapes[0]);
  }

  /**
   * Whether backward computes the gradient of input i. The default: input 0 follows
   * {@link #setInputGradRequired(boolean)}; further inputs (a key mask, positions) take no
   * gradient, so their flag is ignored. Layers whose every input has a gradient (merges) override.
   */
  public void setInputGradRequired(int i, boolean required) {
    requireIndex(i);
    if (i == 0) setInputGradRequired(required);
  }

  public boolean inputGradRequired(int i) {
    requireIndex(i);
    return i == 0 && inputGradRequired();
  }

  /**
   * The key mask of a layer that takes x, or x and a mask (attention, encoder layers): checks the
   * count and returns inputs[1], or null without one.
   */
  static Tensor keyMaskOf(Layer l, Tensor[] inputs) {
    if (inputs == null || inputs.length < 1 || inputs.length > 2)
      throw new IllegalArgumentException(l.name() + ": takes x, or x and a key mask, got " + (inputs == null ? "null" : inputs.length + " inputs"));
    return inputs.length == 2 ? inputs[1] : null;
  }

  private void requireOneInput(int n) {
    if (n != 1) throw new IllegalArgumentException(name() + ": takes 1 input, got " + (n < 0 ? "none" : Integer.toString(n)));
  }

  private void requireIndex(int i) {
    int n = Math.max(1, arity());
    if (i < 0 || i >= n) throw new IndexOutOfBoundsException(name() + ": has " + n + " input(s), no input " + i);
  }

  /** {@link #forward(Tensor[], boolean)} inside the profiler's and NVTX's range for this layer. */
  public final Tensor call(Tensor[] inputs, boolean training) { return callAs(this, inputs, training); }

  /** {@link #backwardAll} inside the profiler's and NVTX's range for this layer. */
  public final Tensor[] callBackwardAll(Tensor gradOutput) { return callBackwardAllAs(this, gradOutput); }

  /** Runs this layer's forward inside the range of {@code subject} (a graph runs a shared layer's replica under the original's name). */
  final Tensor callAs(Layer subject, Tensor[] inputs, boolean training) {
    ProfileHooks.Listener h = ProfileHooks.listener();
    if (h == null) return forward(inputs, training);
    h.begin(ProfileHooks.Range.FORWARD, subject, null);
    try {
      return forward(inputs, training);
    } finally {
      h.end(ProfileHooks.Range.FORWARD, subject, null);
    }
  }

  final Tensor[] callBackwardAllAs(Layer subject, Tensor gradOutput) {
    ProfileHooks.Listener h = ProfileHooks.listener();
    if (h == null) return backwardAll(gradOutput);
    h.begin(ProfileHooks.Range.BACKWARD, subject, null);
    try {
      return backwardAll(gradOutput);
    } finally {
      h.end(ProfileHooks.Range.BACKWARD, subject, null);
    }
  }

  /**
   * The output shape of each direct child for this input shape, by child name, where the layer
   * knows them (a chain, a graph); empty by default. Used by model summaries.
   */
  public Map<String, int[]> childOutputShapes(int[][] inputShapes) { return Map.of(); }

  /** This layer's own trainable parameters, in a fixed order (not its children's). */
  protected List<Parameter> ownParameters() { return List.of(); }

  /**
   * This layer's own non-trainable state that belongs in a checkpoint (PyTorch's buffers), by
   * name, e.g. BatchNorm's {@code running_mean}: the live tensors on the layer's device, restored
   * with {@link Tensor#copyFrom}, moved with {@link #to}; optimizers never see them.
   */
  protected Map<String, Tensor> ownBuffers() { return Map.of(); }

  /**
   * Every layer of the tree, this one first (path {@code ""}), in pre-order, each once, keyed by
   * its dotted path (PyTorch's {@code named_modules}). A transparent child ({@code ""}) shares
   * its parent's path and is listed under {@code "<path>#"}.
   */
  public final Map<String, Layer> namedLayers() {
    Map<String, Layer> out = new LinkedHashMap<>();
    walk(this, "", new IdentityHashMap<>(), new IdentityHashMap<>(), (path, l) -> {
      String key = path;
      while (out.containsKey(key)) key = key + "#";
      out.put(key, l);
    });
    return Collections.unmodifiableMap(out);
  }

  /** Every layer of the tree, each once, this one first (pre-order). */
  public final List<Layer> allLayers() { return List.copyOf(namedLayers().values()); }

  private interface Visitor {
    void visit(String path, Layer l);
  }

  private static void walk(Layer l, String path, IdentityHashMap<Layer, Boolean> seen, IdentityHashMap<Layer, Boolean> onPath, Visitor v) {
    if (onPath.containsKey(l)) throw new IllegalStateException(l.name() + " contains itself (at '" + path + "'): a layer tree cannot have cycles");
    if (seen.put(l, Boolean.TRUE) != null) return;
    v.visit(path, l);
    onPath.put(l, Boolean.TRUE);
    for (Child c : l.children()) walk(c.layer(), join(path, c.name()), seen, onPath, v);
    onPath.remove(l);
  }

  private static String join(String path, String name) { return name.isEmpty() ? path : path.isEmpty() ? name : path + "." + name; }

  /**
   * Every trainable parameter of the tree by dotted path ({@code "0.weight"},
   * {@code "encoder.attention.in_proj_weight"}), each once (a shared layer under its first path),
   * as PyTorch's {@code named_parameters()}.
   */
  public final Map<String, Parameter> namedParameters() {
    Map<String, Parameter> out = new LinkedHashMap<>();
    IdentityHashMap<Parameter, Boolean> seen = new IdentityHashMap<>();
    walk(this, "", new IdentityHashMap<>(), new IdentityHashMap<>(), (path, l) -> {
      for (Parameter p : l.ownParameters())
        if (seen.put(p, Boolean.TRUE) == null) out.put(join(path, p.name()), p);
    });
    return Collections.unmodifiableMap(out);
  }

  /** Trainable parameters of the tree, in {@link #namedParameters()} order (what an optimizer binds to). */
  public final List<Parameter> parameters() { return List.copyOf(namedParameters().values()); }

  /** Non-trainable state of the tree by dotted path ({@code "1.running_mean"}), as PyTorch's {@code named_buffers()}. */
  public final Map<String, Tensor> buffers() {
    Map<String, Tensor> out = new LinkedHashMap<>();
    walk(this, "", new IdentityHashMap<>(), new IdentityHashMap<>(), (path, l) -> {
      for (Map.Entry<String, Tensor> b : l.ownBuffers().entrySet()) out.put(join(path, b.getKey()), b.getValue());
    });
    return Collections.unmodifiableMap(out);
  }

  /** Total number of non-trainable scalars ({@link #buffers()}). */
  public long bufferCount() {
    long n = 0;
    for (Tensor t : buffers().values()) n += t.size();
    return n;
  }

  /** Total number of trainable scalars of the tree. */
  public long parameterCount() {
    long n = 0;
    for (Parameter p : parameters()) n += p.size();
    return n;
  }

  /**
   * State that is neither a parameter nor a buffer but must survive a checkpoint for exact resume
   * (PyTorch's {@code get_extra_state}), e.g. a Dropout's mask seed and counter; null (default)
   * for none.
   */
  public LayerConfig extraState() { return null; }

  /** Restores what {@link #extraState()} returned (called by checkpoint loading). */
  public void setExtraState(LayerConfig state) {
    throw new IllegalArgumentException(name() + " has no extra state to restore");
  }

  // ---------------------------------------------------------------- shapes, initialization

  /**
   * The output shape for an input shape ({@code -1} stands for an unknown batch size); throws the
   * same exception forward would for an incompatible shape. Default: same shape as the input.
   */
  public int[] outputShape(int[] inputShape) { return inputShape.clone(); }

  /** Number of input features this layer requires ({@code -1}: any), used by summaries. */
  public int inputFeatures() { return -1; }

  /**
   * The full input shapes (batch as -1) this layer fixes, one per input, or null when it does not
   * fix them; default: {@code [[-1, inputFeatures()]]} when that is known. Used by summaries.
   */
  public int[][] inputShapes() {
    int f = inputFeatures();
    return f < 0 ? null : new int[][] {{-1, f}};
  }

  /**
   * (Re-)initializes the parameters from {@code rng}: a leaf layer overrides this for its own
   * parameters; the default initializes the children in order (a composite with parameters of
   * its own overrides it and calls {@code super.initialize(rng)}).
   */
  public void initialize(SplittableRandom rng) {
    IdentityHashMap<Layer, Boolean> done = new IdentityHashMap<>();
    for (Child c : children()) if (done.put(c.layer(), Boolean.TRUE) == null) c.layer().initialize(rng);
  }

  /** Re-initializes the whole tree from one RNG seeded with {@code seed}, in layer order; returns this. */
  public Layer init(long seed) {
    initialize(new SplittableRandom(seed));
    return this;
  }

  public Device device() { return device; }

  /** The backend running this layer's kernels. */
  public Backend backend() { return backend; }

  /**
   * Moves the parameters, buffers and kernels of this layer and of every layer below it to a
   * device (host devices: a retag, no copy); drops the cached work buffers. Throws
   * {@link dev.jnn.backend.BackendUnavailableException} (and changes nothing) if the device's
   * backend did not load. Subclasses override it only to narrow the return type.
   */
  public Layer to(Device target) {
    Objects.requireNonNull(target, "device");
    Backend b = Backends.get(target);
    for (Layer l : allLayers()) l.moveOwn(target, b);
    return this;
  }

  private void moveOwn(Device target, Backend b) {
    for (Parameter p : ownParameters()) p.to(target);
    device = target;
    backend = b;
    onDeviceChanged();
  }

  /**
   * Called after {@link #to} (and by {@link #release()}), for this layer alone: subclasses drop
   * (and close) work buffers and forward state tied to the old device, and move their own
   * buffers and other state to {@link #device()} (closing the old device copies). Must be a no-op
   * for state already on {@link #device()} apart from dropping work buffers.
   */
  protected void onDeviceChanged() {}

  /**
   * Gives back the device memory of this layer and every layer below it: per-shape work buffers
   * and, on a device, parameters, gradients and buffers. On a device the layer cannot run
   * afterwards (its tensors are closed: using them throws {@link IllegalStateException}); to keep
   * the weights, move it to a host device first ({@code layer.to(Device.CPU)} copies them down
   * and frees the device copies). On a host device it only drops the work buffers (reallocated by
   * the next forward). Device memory not released goes back to the pool only when the garbage
   * collector finds the tensors, with a leak warning.
   *
   * <pre>{@code
   * Model m = Model.of(net).to(Device.cuda(0));
   * try { m.fit(train, 10, 32); } finally { m.to(Device.CPU).release(); }   // or: m.close()
   * }</pre>
   */
  public final void release() {
    for (Layer l : allLayers()) l.releaseOwn();
  }

  /** Releases this layer's own memory (see {@link #release()}); subclasses holding more device tensors extend it. */
  protected void releaseOwn() {
    onDeviceChanged();
    if (!device.isHost()) {
      for (Parameter p : ownParameters()) p.release();
      for (Tensor t : ownBuffers().values()) t.close();
    }
  }

  /**
   * Writes a parameter tensor from the host: {@code fill} gets a host array and the index of
   * element 0 in it. A host tensor is written in place; a device tensor gets a host array that is
   * then uploaded (initialization runs on the host on every device).
   */
  protected static void writeFromHost(Tensor t, java.util.function.ObjIntConsumer<float[]> fill) {
    if (t.isHost()) {
      fill.accept(t.data(), t.offset());
    } else {
      float[] h = new float[t.size()];
      fill.accept(h, 0);
      t.copyFrom(h, 0);
    }
  }

  /**
   * Whether backward must compute the gradient with respect to the input (default true). A
   * model's first layer does not need it (Caffe's propagate_down); skipping it saves a GEMM.
   * Composites pass it on to the children that read their input.
   */
  public void setInputGradRequired(boolean required) { inputGradRequired = required; }

  public boolean inputGradRequired() { return inputGradRequired; }

  @Override
  public String toString() { return name(); }

  // ---------------------------------------------------------------- validation helpers (allocation-free unless they throw)

  /** Null and device check of a forward input. */
  protected final void checkInput(Tensor x) {
    if (x == null) throw new NullPointerException(name() + ": input is null");
    checkDevice("input", x);
  }

  /** Null, device and state checks of a backward call: forward must have run, dy must have the output's shape. */
  protected final void checkGradOutput(Tensor dy, Tensor lastOutput) {
    if (lastOutput == null)
      throw new IllegalStateException(name() + ": backward called before forward (no forward input to differentiate)");
    if (dy == null) throw new NullPointerException(name() + ": gradOutput is null");
    checkDevice("gradOutput", dy);
    if (!dy.sameShape(lastOutput))
      throw new IllegalArgumentException(name() + ": gradOutput " + dy.shapeString() + " must have the shape of the last forward output "
          + lastOutput.shapeString());
  }

  protected final void checkDevice(String what, Tensor t) {
    Device d = t.device();
    if (d != device && !d.equals(device))
      throw new IllegalArgumentException(name() + ": " + what + " " + t.shapeString() + " is on device " + d + " but the layer is on "
          + device + " (move the tensor with tensor.to(" + device + ") or the layer with layer.to(" + d + "))");
  }

  /** "[-1, 10]" style rendering of a shape in messages; -1 is printed as "None" (Keras). */
  public static String shapeString(int[] shape) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i] < 0 ? "None" : Integer.toString(shape[i]));
    return sb.append(']').toString();
  }
}
