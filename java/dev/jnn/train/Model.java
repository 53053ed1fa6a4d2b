package dev.jnn.train;

import dev.jnn.data.DataLoader;
import dev.jnn.data.Dataset;
import dev.jnn.io.Checkpoint;
import dev.jnn.io.StateDict;
import dev.jnn.io.TrainingProgress;
import dev.jnn.loss.Loss;
import dev.jnn.nn.Layer;
import dev.jnn.nn.Parameter;
import dev.jnn.nn.Sequential;
import dev.jnn.onnx.OnnxExport;
import dev.jnn.optim.Optimizer;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The Keras surface for any layer: a {@link Sequential}, a {@link dev.jnn.nn.Graph} or a user's
 * own composite {@link Layer} gets {@code compile}, {@code fit}, {@code evaluate},
 * {@code predict}, {@code summary}, {@code save}/{@code load} and exact resume. The training
 * loop ({@link Trainer}) knows only this class (docs/ARCHITECTURE.md, "Models and training").
 *
 * <pre>{@code
 * Model model = Model.sequential(new Dense(10, 50), new ReLU(), new Dense(50, 1), new Sigmoid())
 *     .init(42)                                        // seeded init, one RNG in layer order
 *     .to(Device.CPU);                                 // native kernels (Device.JAVA: the reference)
 * model.compile(new BceLoss(), Adam.builder().lr(1e-3).build());
 * System.out.println(model.summary(10));
 * History h = model.fit(train, 100, 32);              // or fit(train, FitOptions...) with validation, callbacks
 * Evaluation e = model.evaluate(test);                // loss and accuracy
 * Tensor p = model.predict(x);                        // (n, 1) probabilities, a new tensor
 * model.save(Path.of("model.safetensors"));           // architecture, weights, optimizer state, progress
 * Model again = Model.load(Path.of("model.safetensors"));
 * }</pre>
 *
 * <p><b>Several inputs.</b> A graph with k inputs trains on a {@link Dataset} with k feature
 * tensors ({@code new Dataset(List.of(a, b), y)}), and predicts with {@link #predict(Tensor[], int)}.
 *
 * <p><b>Initialization.</b> {@link #init(long)} re-initializes the network from one RNG seeded
 * with the seed; {@link #compile} calls {@code init(seed())} unless {@code init} was called: a
 * model's initial weights depend only on its seed and architecture.
 *
 * <p><b>Devices.</b> {@link #to(Device)} moves the network and the optimizer's state (host
 * devices share memory: a retag, no copy). {@link #predict} takes input on the model's device;
 * {@link #fit} and {@link #evaluate} copy rows of a host {@link Dataset} into batch tensors on the
 * model's device. A model on a GPU holds device memory until {@link #close()}.
 *
 * <p><b>Errors.</b> Inputs are validated in Java before any kernel call, with messages naming the
 * layer and the shapes; a failed call leaves the model usable.
 *
 * <p><b>Threads.</b> {@link #predict}, {@link #evaluate} and {@link #save} may be called from any
 * number of threads at once and give the single-threaded results: each call runs on the network
 * or on a replica that shares its weights (at most {@link #maxConcurrentInference(int)} at once;
 * on a GPU device, or for a network the {@link dev.jnn.nn.LayerRegistry} cannot rebuild, the
 * calls take turns). Calls that change the model ({@link #fit}, {@link #trainOnBatch},
 * {@link #compile}, {@link #init}, {@link #to}, {@link #loadWeights}, {@link #forward},
 * {@link #backward}, {@link #release}) run alone: while another thread uses the model they
 * throw {@link IllegalStateException}, as inference calls do while another thread trains it.
 */
public final class Model implements AutoCloseable {
  private final Layer network;
  private Loss loss;
  private Optimizer optimizer;
  private long seed;
  private boolean initialized;
  private TrainingProgress progress = TrainingProgress.NONE;
  private final Tensor[] one = new Tensor[1];
  private final InferencePool pool;
  private DataParallel dataParallel;

  /** A model of the network (which stays usable as a layer: the model only drives it). */
  public Model(Layer network) {
    this.network = Objects.requireNonNull(network, "Model: network is null");
    this.pool = new InferencePool(network);
  }

  /** {@code new Model(network)}. */
  public static Model of(Layer network) { return new Model(network); }

  /** The short form: a model of {@code new Sequential(layers)}. */
  public static Model sequential(Layer... layers) { return new Model(new Sequential(layers)); }

  /** The layer this model trains. */
  public Layer network() { return network; }

  /** The network as a Sequential (for models built with {@link #sequential}); throws naming the type otherwise. */
  public Sequential sequential() {
    if (network instanceof Sequential s) return s;
    throw new IllegalStateException("Model: the network is a " + network.name() + ", not a Sequential");
  }

  public Device device() { return network.device(); }

  /** Number of inputs the network takes (1, or a graph's input count). */
  public int inputCount() { return Math.max(network.arity(), 1); }

  /** Trainable parameters by dotted path, as PyTorch's {@code named_parameters()}. */
  public Map<String, Parameter> namedParameters() { return network.namedParameters(); }

  public List<Parameter> parameters() { return network.parameters(); }

  /** Re-initializes every layer from one RNG seeded with {@code seed}; resets the optimizer state and the progress. */
  public Model init(long seed) {
    pool.beginExclusive("init");
    try {
      network.init(seed);
      this.seed = seed;
      this.initialized = true;
      this.progress = TrainingProgress.NONE;
      if (optimizer != null) optimizer.reset();
      return this;
    } finally {
      pool.endExclusive();
    }
  }

  /** The seed of the last {@link #init} (0 by default). */
  public long seed() { return seed; }

  /** Moves the network and the optimizer state to the device (host devices: no copy). */
  public Model to(Device target) {
    pool.beginExclusive("to(" + target + ")");
    try {
      network.to(target);   // validates the device first: throws, changing nothing, if its backend is unavailable
      pool.dropReplicas();
      if (optimizer != null) optimizer.to(target);
      if (loss != null) loss.release();   // its buffers belong to the old device
      return this;
    } finally {
      pool.endExclusive();
    }
  }

  /**
   * The most inference calls ({@link #predict}, {@link #evaluate}) that run at once, each on its
   * own replica of the network (default: the number of processors); further calls wait for one.
   * Each replica beyond the first holds its own activation buffers (the weights are shared).
   */
  public Model maxConcurrentInference(int n) {
    pool.setMaxConcurrent(n);
    return this;
  }

  /**
   * Why inference calls on this model take turns instead of running on replicas (a model on a GPU
   * device, a layer type the registry cannot rebuild, a profiler attached), or null when they run
   * concurrently.
   */
  public String inferenceSerializedReason() { return pool.serializedReason(); }

  /** Number of inference replicas made so far (tests). */
  int inferenceReplicas() { return pool.replicaCount(); }

  /**
   * Sets the loss and optimizer, binds the optimizer to the parameters (fresh state, on the
   * model's device) and initializes the weights with {@code init(seed())} unless {@link #init}
   * was called. A compiled model's network no longer computes the gradient with respect to its
   * input (call {@code network().setInputGradRequired(true)} to get it back).
   */
  public Model compile(Loss loss, Optimizer optimizer) {
    Objects.requireNonNull(loss, "compile: loss is null");
    Objects.requireNonNull(optimizer, "compile: optimizer is null");
    if (network instanceof Sequential s && s.size() == 0) throw new IllegalStateException("compile: the model has no layers");
    pool.beginExclusive("compile");
    try {
      if (!initialized) init(seed);
      optimizer.bind(network.parameters());
      this.loss = loss;
      this.optimizer = optimizer;
      network.setInputGradRequired(false);
      return this;
    } finally {
      pool.endExclusive();
    }
  }

  public Loss loss() { return loss; }

  public Optimizer optimizer() { return optimizer; }

  /**
   * Makes {@link #fit} and {@link #trainOnBatch} data-parallel (null: back to one process); called
   * by {@code dev.jnn.dist.DistributedDataParallel.wrap}, see {@link DataParallel}.
   */
  public Model dataParallel(DataParallel p) {
    pool.beginExclusive("dataParallel");
    try {
      dataParallel = p;
      return this;
    } finally {
      pool.endExclusive();
    }
  }

  /** The data-parallel training this model takes part in, or null. */
  public DataParallel dataParallel() { return dataParallel; }

  /** How far fit has trained this model (epochs done, shuffling seed...); restored by {@link #load}. */
  public TrainingProgress trainingProgress() { return progress; }

  /** Sets the training progress (called by fit after every epoch and by checkpoint loading). */
  public void setTrainingProgress(TrainingProgress p) { progress = Objects.requireNonNull(p, "training progress"); }

  // ---------------------------------------------------------------- forward / backward

  /**
   * The network's forward on a batch on the model's device; the result is the network's own
   * buffer (valid until its next forward), so this is a training call: one thread at a time, use
   * {@link #predict} to share the model. The model is the root: its layers get profiler ranges,
   * the network itself only the training step's.
   */
  public Tensor forward(Tensor x, boolean training) {
    pool.beginExclusive("forward");
    try {
      return network.forward(x, training);
    } finally {
      pool.endExclusive();
    }
  }

  /** Forward on one batch per input. */
  public Tensor forward(Tensor[] xs, boolean training) {
    Objects.requireNonNull(xs, "forward: inputs are null");
    pool.beginExclusive("forward");
    try {
      return run(network, xs, training);
    } finally {
      pool.endExclusive();
    }
  }

  /** The forward of a network (the model's, or an inference replica) on one batch per input. */
  static Tensor run(Layer net, Tensor[] xs, boolean training) {
    return xs.length == 1 ? net.forward(xs[0], training) : net.forward(xs, training);
  }

  /** The network's backward. */
  public Tensor backward(Tensor gradOutput) {
    pool.beginExclusive("backward");
    try {
      return network.backward(gradOutput);
    } finally {
      pool.endExclusive();
    }
  }

  // ---------------------------------------------------------------- training

  /** Trains for {@code epochs} epochs in shuffled batches of {@code batchSize} (shuffle seed 0). */
  public History fit(Dataset data, int epochs, int batchSize) {
    return fit(data, FitOptions.builder().epochs(epochs).batchSize(batchSize).build());
  }

  /**
   * Trains on data (Keras semantics; see {@link FitOptions}). Rejects NaN/Inf in the data and bad
   * targets before the first step; a non-finite loss throws {@link IllegalStateException} naming
   * the epoch and step, before that step updates the parameters.
   */
  public History fit(Dataset data, FitOptions options) {
    requireCompiled("fit");
    pool.beginExclusive("fit");
    try {
      return Trainer.fit(this, data, options);
    } finally {
      pool.endExclusive();
    }
  }

  /** Trains on the batches of a {@link DataLoader} (its batching, shuffling, seed, normalization and prefetch). */
  public History fit(DataLoader loader, FitOptions options) {
    requireCompiled("fit");
    pool.beginExclusive("fit");
    try {
      return Trainer.fit(this, loader, options);
    } finally {
      pool.endExclusive();
    }
  }

  /** Mean loss and accuracy on data, in batches of 32, without dropout. */
  public Evaluation evaluate(Dataset data) { return evaluate(data, 32); }

  /** Mean loss and accuracy on data in batches of batchSize, without dropout; safe to call from several threads at once. */
  public Evaluation evaluate(Dataset data, int batchSize) {
    requireCompiled("evaluate");
    Layer net = pool.borrow("evaluate");
    try {
      return Trainer.evaluate(this, net, data, batchSize);
    } finally {
      pool.giveBack(net);
    }
  }

  /** One training step on a batch on the model's device; returns the batch loss. */
  public float trainOnBatch(Tensor x, Tensor y) {
    requireCompiled("trainOnBatch");
    pool.beginExclusive("trainOnBatch");
    try {
      one[0] = x;
      return Trainer.trainOnBatch(this, one, y);
    } finally {
      pool.endExclusive();
    }
  }

  /** One training step of a multi-input model. */
  public float trainOnBatch(Tensor[] xs, Tensor y) {
    requireCompiled("trainOnBatch");
    pool.beginExclusive("trainOnBatch");
    try {
      return Trainer.trainOnBatch(this, xs, y);
    } finally {
      pool.endExclusive();
    }
  }

  void requireCompiled(String what) {
    if (loss == null) throw new IllegalStateException(what + ": compile(loss, optimizer) the model first");
  }

  // ---------------------------------------------------------------- inference

  /**
   * Outputs for x (samples, features...) on the model's device, e.g. (n, C, H, W) images, in
   * batches of 256, as a new tensor on the model's device (on a GPU: close it, or copy it down with
   * {@code toArray()}). Safe to call from several threads at once (see "Threads" above).
   */
  public Tensor predict(Tensor x) { return predict(new Tensor[] {x}, 256); }

  public Tensor predict(Tensor x, int batchSize) { return predict(new Tensor[] {x}, batchSize); }

  /** Outputs of a multi-input model: one tensor per input, the same number of samples each. */
  public Tensor predict(Tensor[] xs, int batchSize) {
    Objects.requireNonNull(xs, "predict: inputs are null");
    if (batchSize < 1) throw new IllegalArgumentException("predict: batchSize must be >= 1, got " + batchSize);
    if (xs.length != inputCount())
      throw new IllegalArgumentException("predict: the model takes " + inputCount() + " input(s), got " + xs.length);
    int[][] in = new int[xs.length][];
    for (int i = 0; i < xs.length; i++) {
      Tensor x = xs[i];
      String what = xs.length == 1 ? "input" : "input " + i;
      if (x == null) throw new NullPointerException("predict: " + what + " is null");
      if (!x.device().equals(device()))
        throw new IllegalArgumentException("predict: " + what + " " + x.shapeString() + " is on device " + x.device() + " but the model is on " + device()
            + " (move the input with x.to(" + device() + ") or the model with model.to(" + x.device() + "))");
      if (x.rank() < 1 || x.dim(0) == 0) throw new IllegalArgumentException("predict: " + what + " " + x.shapeString() + " must be a non-empty batch");
      if (x.dim(0) != xs[0].dim(0))
        throw new IllegalArgumentException("predict: inputs " + xs[0].shapeString() + " and " + x.shapeString() + " have different numbers of samples");
      in[i] = x.shape();
      in[i][0] = -1;
    }
    int[] outShape = xs.length == 1 ? network.outputShape(in[0]) : network.outputShape(in);
    int n = xs[0].dim(0);
    outShape[0] = n;
    Layer net = pool.borrow("predict");
    Tensor result = null;
    try {
      result = Tensor.zeros(device(), outShape);
      int per = result.size() / n;
      Tensor[] batch = new Tensor[xs.length];
      for (int start = 0; start < n; start += batchSize) {
        int rows = Math.min(batchSize, n - start);
        for (int i = 0; i < xs.length; i++) batch[i] = xs[i].rows(start, rows);
        Tensor out = run(net, batch, false);
        if (result.isHost()) System.arraycopy(out.data(), out.offset(), result.data(), result.offset() + start * per, rows * per);
        else result.rows(start, rows).copyFrom(out);   // device-to-device
      }
    } catch (RuntimeException e) {
      if (result != null) result.close();
      throw e;
    } finally {
      pool.giveBack(net);
    }
    return result;
  }

  // ---------------------------------------------------------------- summary

  /** Keras-style table for the input size the network fixes (a Dense first layer, a graph's inputs). */
  public String summary() {
    int[][] s = network.inputShapes();
    if (s == null) throw new IllegalStateException("summary: the network does not fix the input size; use summary(inputShape)");
    return summary(s);
  }

  /** Summary for inputs of shape [batch, inputShape...], e.g. {@code summary(1, 28, 28)} for NCHW images. */
  public String summary(int... inputShape) {
    int[] s = new int[inputShape.length + 1];
    s[0] = -1;
    System.arraycopy(inputShape, 0, s, 1, inputShape.length);
    return summary(new int[][] {s});
  }

  /**
   * Summary for full input shapes (batch as -1), one per input: a row per direct child of the
   * network (its path, name, output shape where the network knows it, parameters; a nested
   * composite is one row with its total), then the totals. As in Keras, a row's count includes
   * non-trainable buffers (BatchNorm's running statistics), listed separately in the totals.
   */
  public String summary(int[][] inputShapes) {
    Map<String, int[]> shapes = network.childOutputShapes(inputShapes);
    int[] out = inputShapes.length == 1 ? network.outputShape(inputShapes[0]) : network.outputShape(inputShapes);
    StringBuilder sb = new StringBuilder();
    String rule = "-".repeat(76);
    sb.append("Model: ").append(network.name()).append(" on ").append(device()).append('\n').append(rule).append('\n');
    sb.append(String.format(Locale.ROOT, "%-42s %-20s %12s%n", "Layer", "Output shape", "Params"));
    sb.append(rule.replace('-', '=')).append('\n');
    List<Layer.Child> cs = network.children();
    java.util.IdentityHashMap<Layer, Boolean> seen = new java.util.IdentityHashMap<>();
    if (cs.isEmpty()) {
      sb.append(String.format(Locale.ROOT, "%-42s %-20s %,12d%n", network.name(), Layer.shapeString(out), network.parameterCount() + network.bufferCount()));
    } else {
      for (Layer.Child c : cs) {
        if (seen.put(c.layer(), Boolean.TRUE) != null) continue;
        int[] s = shapes.get(c.name());
        String label = (c.name().isEmpty() || c.name().chars().allMatch(Character::isDigit) ? "" : c.name() + " ") + c.layer().name();
        sb.append(String.format(Locale.ROOT, "%-42s %-20s %,12d%n", label, s == null ? "?" : Layer.shapeString(s),
            c.layer().parameterCount() + c.layer().bufferCount()));
      }
    }
    long trainable = network.parameterCount(), fixed = network.bufferCount(), total = trainable + fixed;
    sb.append(rule.replace('-', '=')).append('\n');
    sb.append(String.format(Locale.ROOT, "Output shape: %s%n", Layer.shapeString(out)));
    sb.append(String.format(Locale.ROOT, "Total params: %,d (%s)%n", total, bytes(total * 4)));
    sb.append(String.format(Locale.ROOT, "Trainable params: %,d%n", trainable));
    if (fixed > 0) sb.append(String.format(Locale.ROOT, "Non-trainable params: %,d%n", fixed));
    if (loss != null) sb.append("Loss: ").append(loss.name()).append("; optimizer: ").append(optimizer.name()).append('\n');
    return sb.append(rule).toString();
  }

  private static String bytes(long b) {
    return b < 10_000 ? b + " B" : b < 10_000_000 ? String.format(Locale.ROOT, "%.1f KB", b / 1024.0) : String.format(Locale.ROOT, "%.1f MB", b / 1048576.0);
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * Saves a checkpoint in the safetensors format (atomically): weights and buffers, the
   * architecture, and, when compiled, the loss, the optimizer with its state and the training
   * progress. See {@link Checkpoint}.
   */
  public void save(Path path) throws IOException { save(path, true); }

  /** Saves weights, buffers and the architecture only (no optimizer state). */
  public void saveWeights(Path path) throws IOException { save(path, false); }

  private void save(Path path, boolean withOptimizer) throws IOException {
    pool.beginShared("save");
    try {
      Checkpoint.save(contents(), path, withOptimizer);
    } finally {
      pool.endShared();
    }
  }

  private Checkpoint.Contents contents() { return new Checkpoint.Contents(network, seed, loss, optimizer, progress); }

  /**
   * Writes the network as an ONNX model (opset 17, dynamic batch axis) for inference in other
   * runtimes: what {@link #predict} computes. A layer that cannot be exported fails naming it,
   * before anything is written (docs/ONNX.md lists what each layer becomes).
   *
   * <pre>{@code
   * model.exportOnnx(Path.of("model.onnx"));
   * model.exportOnnx(Path.of("cnn.onnx"), OnnxExport.Options.defaults().inputShapes(new int[] {-1, 1, 28, 28}));
   * }</pre>
   */
  public void exportOnnx(Path path) throws IOException { exportOnnx(path, OnnxExport.Options.defaults()); }

  /** {@link #exportOnnx(Path)} with options: opset, input shapes (dynamic axes -1), fixed batch, input and output names. */
  public void exportOnnx(Path path, OnnxExport.Options options) throws IOException {
    pool.beginShared("exportOnnx");
    try {
      OnnxExport.export(network, path, options);
    } finally {
      pool.endShared();
    }
  }

  /**
   * Rebuilds a model from a checkpoint (compiled, with optimizer state and progress, when the file
   * has them). A user-defined layer type must be registered first ({@link dev.jnn.nn.LayerRegistry}).
   */
  public static Model load(Path path) throws IOException {
    Checkpoint.Contents c = Checkpoint.load(path);
    Model m = new Model(c.network());
    m.seed = c.seed();
    m.initialized = true;
    if (c.optimizer() != null) {
      m.loss = c.loss();
      m.optimizer = c.optimizer();   // bound to the network, its state restored
      m.network.setInputGradRequired(false);
    }
    m.progress = c.progress();
    return m;
  }

  /**
   * Loads a checkpoint into this model (same architecture, else {@link IllegalArgumentException}
   * naming the difference): weights, buffers, extra state, progress, and the optimizer state when
   * this model is compiled with an optimizer of the file's type. Nothing changes when the file is
   * rejected.
   */
  public void loadWeights(Path path) throws IOException {
    pool.beginExclusive("loadWeights");
    try {
      Checkpoint.Contents c = Checkpoint.loadInto(network, optimizer, path);
      seed = c.seed();
      initialized = true;
      progress = c.progress();
    } finally {
      pool.endExclusive();
    }
  }

  /**
   * Loads a PyTorch or Hugging Face state dict (safetensors; F32, F16 or BF16, widened to
   * float32) into the network's parameters and buffers by their dotted names. Shapes that differ
   * are an error; with {@code strict} so are missing and unexpected names; the error names them
   * all and nothing changes. See {@link StateDict}.
   *
   * <pre>{@code
   * StateDict.Report r = model.loadStateDict(Path.of("pytorch.safetensors"), false);
   * System.out.println(r.missing() + " " + r.unexpected());
   * }</pre>
   */
  public StateDict.Report loadStateDict(Path path, boolean strict) throws IOException {
    pool.beginExclusive("loadStateDict");
    try {
      StateDict.Report r = StateDict.load(network, path, strict);
      initialized = true;
      return r;
    } finally {
      pool.endExclusive();
    }
  }

  /**
   * A fit callback that saves a full checkpoint (atomically, replacing the previous one) after
   * every {@code everyEpochs}-th epoch and after the last; a failed save throws
   * {@link java.io.UncheckedIOException} out of fit, leaving the previous checkpoint intact. In
   * data-parallel training ({@link #dataParallel()}) only rank 0 writes it.
   */
  public Callback checkpointEvery(int everyEpochs, Path path) {
    Objects.requireNonNull(path, "path");
    if (everyEpochs < 1) throw new IllegalArgumentException("checkpointEvery: everyEpochs must be >= 1, got " + everyEpochs);
    return log -> {
      if (log.epoch() % everyEpochs != 0 && log.epoch() != log.epochs()) return;
      if (dataParallel != null && dataParallel.rank() != 0) return;
      try {
        save(path);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("checkpoint after epoch " + log.epoch() + " failed: " + e.getMessage(), e);
      }
    };
  }

  // ---------------------------------------------------------------- memory

  /**
   * Gives back the device memory of the network (parameters, gradients, buffers, work buffers),
   * of the optimizer state and of the loss's buffers (see {@link Layer#release()}). On a device
   * the model cannot run afterwards; call {@code to(Device.CPU)} first to keep the weights.
   */
  public void release() {
    pool.beginExclusive("release");
    try {
      pool.dropReplicas();
      network.release();
      if (optimizer != null) optimizer.release();
      if (loss != null) loss.release();
    } finally {
      pool.endExclusive();
    }
  }

  /** {@link #release()}: a model on a GPU used in try-with-resources returns its memory at the end. */
  @Override
  public void close() { release(); }

  @Override
  public String toString() { return "Model(" + network.name() + ")"; }
}
