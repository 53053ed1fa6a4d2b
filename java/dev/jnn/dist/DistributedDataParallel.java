package dev.jnn.dist;

import dev.jnn.data.Dataset;
import dev.jnn.data.Sampler;
import dev.jnn.nn.Layer;
import dev.jnn.nn.Parameter;
import dev.jnn.nn.ProfileHooks;
import dev.jnn.optim.Optimizer;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Callback;
import dev.jnn.train.DataParallel;
import dev.jnn.train.Evaluation;
import dev.jnn.train.Model;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Semaphore;

/**
 * Data-parallel training of a {@link Model} over a {@link ProcessGroup}, as PyTorch's
 * {@code DistributedDataParallel}: every process holds a full replica, trains on its share of each
 * global batch, and applies the same averaged gradient, so the replicas stay identical.
 *
 * <pre>{@code
 * DistEnv env = DistEnv.fromEnvironment();                        // RANK, WORLD_SIZE, MASTER_ADDR ... (jnn launch, torchrun)
 * try (ProcessGroup g = ProcessGroups.init(env, Device.CPU, ...)) {
 *   Model m = DenseExample.compiledModel(cfg);                      // same architecture and seed on every rank
 *   try (DistributedDataParallel ddp = DistributedDataParallel.wrap(m, g)) {   // rank 0's weights broadcast
 *     m.fit(train, FitOptions.builder().epochs(10).batchSize(64)   // 64 = the global batch: 32 per rank with 2 ranks
 *         .callback(ddp.onLeader(Callback.progress(System.out)))  // printed by rank 0 only
 *         .callback(m.checkpointEvery(1, path)).build());         // written by rank 0 only
 *   }
 * }
 * }</pre>
 *
 * <p><b>What wrap does.</b> Checks that every rank has the same parameters (count, shapes),
 * then broadcasts rank 0's parameters, buffers (BatchNorm's running statistics) and optimizer
 * state and step count, so every rank starts from the same state whatever it loaded; and sets
 * itself as the model's {@link DataParallel}: from then on {@code fit} shards each epoch with a
 * {@link DistributedSampler} (the fit batch size is the global batch), averages the gradients
 * after every backward, and reports the loss and accuracy of all ranks' samples.
 *
 * <p><b>Gradient buckets.</b> The parameters are grouped, in the order their gradients become
 * complete in backward (reverse layer order), into buckets of at most
 * {@link Options#bucketCapBytes()} (25 MiB by default, PyTorch's); each bucket is one flat tensor
 * allocated at wrap, into which the gradients are copied, all-reduced (AVG) in one collective, and
 * copied back: a steady step allocates nothing and makes one collective per bucket.
 *
 * <p><b>Overlap.</b> With {@link Options#overlap()} (the default) a bucket's all-reduce starts on a
 * communication thread as soon as its last gradient is written, while backward goes on through the
 * earlier layers. A gradient is known to be complete when its layer's backward returns: this
 * class listens to the layers' {@link ProfileHooks} BACKWARD ranges (the ranges every composite's
 * {@code callBackward} reports). The first step is synchronous and observes the order; buckets are
 * then rebuilt in that order (rank 0's, broadcast). Parameters whose layer ran backward more than
 * once in a step (a layer shared in a graph, whose replicas' gradients are summed afterwards) or
 * never reported it (the model's root layer, a layer a composite calls without
 * {@code callBackward}) are reduced after backward returns. Buckets start in index order on every
 * rank, so the collectives match. While a {@link dev.jnn.profile.Profiler} is recording the hook
 * is bypassed and every bucket is reduced after backward.
 *
 * <p><b>Limits.</b> Every rank must call the same training calls in the same order with the
 * same number of steps per epoch (the sampler guarantees it for fit). The network must not change
 * device after wrap (it is checked). Buffers are broadcast at wrap only (PyTorch's
 * {@code broadcast_buffers} does it every forward): BatchNorm's running statistics then drift
 * apart per rank; evaluate on rank 0 or call {@link #broadcastState()} first.
 */
public final class DistributedDataParallel implements DataParallel, AutoCloseable {

  /**
   * How gradients travel.
   *
   * @param bucketCapBytes the most gradient bytes per bucket (one all-reduce each); at least 4
   * @param overlap start a bucket's all-reduce on a communication thread during backward
   * @param broadcastOptimizerState broadcast rank 0's optimizer state and step count at wrap, so
   *     every rank continues from rank 0's checkpoint even if the others loaded another or none
   */
  public record Options(long bucketCapBytes, boolean overlap, boolean broadcastOptimizerState) {
    /** PyTorch's default bucket size, 25 MiB. */
    public static final long DEFAULT_BUCKET_CAP_BYTES = 25L << 20;

    public Options {
      if (bucketCapBytes < Float.BYTES) throw new IllegalArgumentException("DistributedDataParallel: bucketCapBytes must be >= 4, got " + bucketCapBytes);
    }

    /** 25 MiB buckets, overlap on, optimizer state broadcast. */
    public static Options defaults() { return new Options(DEFAULT_BUCKET_CAP_BYTES, true, true); }

    public Options withBucketCapBytes(long b) { return new Options(b, overlap, broadcastOptimizerState); }
    public Options withOverlap(boolean o) { return new Options(bucketCapBytes, o, broadcastOptimizerState); }
    public Options withBroadcastOptimizerState(boolean b) { return new Options(bucketCapBytes, overlap, b); }
  }

  /**
   * What the gradient synchronisation did so far.
   *
   * @param steps synchronised steps
   * @param buckets buckets per step
   * @param bytesPerStep gradient bytes all-reduced per step
   * @param waitSeconds total time afterBackward spent reducing or waiting for the communication
   *     thread (what overlap did not hide)
   * @param overlappedBuckets buckets started during backward, over all steps
   */
  public record Stats(long steps, int buckets, long bytesPerStep, double waitSeconds, long overlappedBuckets) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%d steps, %d bucket(s) of %.2f MiB in all per step, %.3f s waiting for all-reduce, %d bucket(s) started during backward",
          steps, buckets, bytesPerStep / 1048576.0, waitSeconds, overlappedBuckets);
    }
  }

  /** Gradients of some parameters, flattened into one tensor for one collective. */
  private static final class Bucket {
    final int[] params;       // indices into params, in bucket order
    final Tensor flat;        // (size) on the model's device
    final Tensor[] views;     // views[k]: the slice of flat holding params[k]'s gradient, shaped like it
    int pending;              // gradients not yet complete in this step

    Bucket(int[] params, Parameter[] all, Device d) {
      this.params = params;
      int size = 0;
      for (int p : params) size += all[p].size();
      flat = Tensor.zeros(d, size);
      views = new Tensor[params.length];
      for (int k = 0, off = 0; k < params.length; k++) {
        Tensor g = all[params[k]].value();
        views[k] = flat.view(off, g.shape());
        off += g.size();
      }
    }
  }

  /** A layer that owns parameters: their indices, and how often its backward ended in the current step. */
  private static final class Slot {
    final int[] params;
    int ends;
    boolean hookable;   // its backward ends once per step: its gradients are complete then

    Slot(int[] params) { this.params = params; }
  }

  private final Model model;
  private final ProcessGroup group;
  private final Options options;
  private final Parameter[] params;
  private final Device device;
  private final DistributedSampler sampler;
  private final IdentityHashMap<Layer, Slot> slots = new IdentityHashMap<>();
  private Bucket[] buckets;
  private int[] bucketOf;
  private long bytesPerStep;

  // the step in flight
  private Thread stepThread;
  private boolean inBackward, discovered;
  private int nextLaunch;
  private final List<Layer> observed = new ArrayList<>();   // discovery: layers in the order their backward ended

  // the communication thread (overlap)
  private final Thread comm;
  private final ArrayBlockingQueue<Bucket> toReduce;
  private final Semaphore reduced = new Semaphore(0);
  private volatile Throwable commFailure;
  private int inFlight;

  private final Hook hook;
  private final Tensor sums;   // (2 * 8): the hi and lo float parts of up to 8 doubles
  private long steps, overlapped;
  private double waitSeconds;
  private boolean closed;

  private DistributedDataParallel(Model model, ProcessGroup group, Options options) {
    this.model = model;
    this.group = group;
    this.options = options;
    this.device = model.device();
    this.params = model.parameters().toArray(new Parameter[0]);
    if (params.length == 0) throw new IllegalArgumentException("DistributedDataParallel: " + model + " has no trainable parameters");
    this.sampler = new DistributedSampler(group.rank(), group.worldSize());
    this.sums = Tensor.zeros(device, 16);
    mapOwnership();
    int[] reverse = new int[params.length];
    for (int i = 0; i < params.length; i++) reverse[i] = params.length - 1 - i;   // PyTorch's first guess: reverse parameter order
    buildBuckets(reverse);
    if (options.overlap()) {
      toReduce = new ArrayBlockingQueue<>(Math.max(1, params.length));
      comm = new Thread(this::communicate, "jnn-ddp-allreduce-rank" + group.rank());
      comm.setDaemon(true);
    } else {
      toReduce = null;
      comm = null;
    }
    hook = options.overlap() ? new Hook(this) : null;
  }

  /** {@link #wrap(Model, ProcessGroup, Options)} with the default options. */
  public static DistributedDataParallel wrap(Model model, ProcessGroup group) { return wrap(model, group, Options.defaults()); }

  /**
   * Makes model's training data-parallel over group: checks the ranks agree on the parameters,
   * broadcasts rank 0's state, and attaches to the model (see the class comment). Every rank calls
   * it with a compiled model of the same architecture on its device. A collective: it returns on
   * every rank or fails with a {@link DistributedException}.
   */
  public static DistributedDataParallel wrap(Model model, ProcessGroup group, Options options) {
    Objects.requireNonNull(model, "DistributedDataParallel: model is null");
    Objects.requireNonNull(group, "DistributedDataParallel: process group is null");
    Objects.requireNonNull(options, "DistributedDataParallel: options are null");
    if (model.optimizer() == null) throw new IllegalStateException("DistributedDataParallel: compile(loss, optimizer) " + model + " before wrapping it");
    if (model.dataParallel() != null) throw new IllegalStateException("DistributedDataParallel: " + model + " is already wrapped");
    DistributedDataParallel ddp = new DistributedDataParallel(model, group, options);
    ddp.checkSameParameters();
    ddp.broadcastState();
    if (options.broadcastOptimizerState()) ddp.broadcastOptimizerState();
    model.dataParallel(ddp);
    if (ddp.comm != null) ddp.comm.start();
    if (ddp.hook != null) ddp.hook.install();
    return ddp;
  }

  public Model model() { return model; }
  public ProcessGroup group() { return group; }
  public Options options() { return options; }
  @Override public int rank() { return group.rank(); }
  @Override public int worldSize() { return group.worldSize(); }
  /** Whether this is rank 0: the rank that prints and saves. */
  public boolean isLeader() { return group.rank() == 0; }
  @Override public Sampler sampler() { return sampler; }

  /** Number of gradient buckets (one all-reduce each per step). */
  public int bucketCount() { return buckets.length; }

  /** Parameter paths per bucket, in reduction order (for tests and tools). */
  public List<List<String>> bucketLayout() {
    Map<Parameter, String> names = new IdentityHashMap<>();
    model.namedParameters().forEach((k, v) -> names.put(v, k));
    List<List<String>> out = new ArrayList<>();
    for (Bucket b : buckets) {
      List<String> l = new ArrayList<>();
      for (int p : b.params) l.add(names.get(params[p]));
      out.add(List.copyOf(l));
    }
    return List.copyOf(out);
  }

  public Stats stats() { return new Stats(steps, buckets.length, bytesPerStep, waitSeconds, overlapped); }

  // ---------------------------------------------------------------- start-up

  /** Layer -> indices of the parameters it declares itself (its parameters minus its children's). */
  private void mapOwnership() {
    IdentityHashMap<Parameter, Integer> index = new IdentityHashMap<>();
    for (int i = 0; i < params.length; i++) index.put(params[i], i);
    for (Layer l : model.network().allLayers()) {
      IdentityHashMap<Parameter, Boolean> childrens = new IdentityHashMap<>();
      for (Layer.Child c : l.children()) for (Parameter p : c.layer().parameters()) childrens.put(p, Boolean.TRUE);
      List<Integer> own = new ArrayList<>();
      for (Parameter p : l.parameters()) if (!childrens.containsKey(p) && index.containsKey(p)) own.add(index.get(p));
      if (!own.isEmpty()) slots.put(l, new Slot(own.stream().mapToInt(Integer::intValue).toArray()));
    }
  }

  /** Buckets of consecutive parameters of order, each up to the cap (a larger parameter alone). */
  private void buildBuckets(int[] order) {
    List<Bucket> bs = new ArrayList<>();
    int[] of = new int[params.length];
    long cap = options.bucketCapBytes(), bytes = 0;
    List<Integer> cur = new ArrayList<>();
    for (int p : order) {
      long b = (long) params[p].size() * Float.BYTES;
      if (!cur.isEmpty() && bytes + b > cap) {
        bs.add(new Bucket(cur.stream().mapToInt(Integer::intValue).toArray(), params, device));
        cur.clear();
        bytes = 0;
      }
      cur.add(p);
      bytes += b;
    }
    bs.add(new Bucket(cur.stream().mapToInt(Integer::intValue).toArray(), params, device));
    if (buckets != null) for (Bucket b : buckets) b.flat.close();
    buckets = bs.toArray(new Bucket[0]);
    for (int k = 0; k < buckets.length; k++) for (int p : buckets[k].params) of[p] = k;
    bucketOf = of;
    long total = 0;
    for (Parameter p : params) total += (long) p.size() * Float.BYTES;
    bytesPerStep = total;
  }

  /**
   * Fails on every rank, naming the first difference, unless all ranks have the same number of
   * parameters with the same shapes (a collective on a fingerprint: count, total size, shape hash).
   */
  private void checkSameParameters() {
    long total = 0, hash = 17;
    for (Parameter p : params) {
      total += p.size();
      for (int d : p.value().shape()) hash = hash * 31 + d;
      hash = hash * 31 + 7;
    }
    float[] mine = {params.length, (float) (total >>> 24), (float) (total & 0xFFFFFF), (float) ((hash >>> 40) & 0xFFFFFF),
        (float) ((hash >>> 16) & 0xFFFFFF), (float) (hash & 0xFFFF)};
    int w = group.worldSize(), k = mine.length;
    try (Tensor in = Tensor.of(Device.JAVA, mine, k).to(device); Tensor all = Tensor.zeros(device, w * k)) {
      group.allGather(in, all);
      float[] a = all.toArray();
      for (int r = 0; r < w; r++)
        for (int j = 0; j < k; j++)
          if (a[r * k + j] != mine[j])
            throw new DistributedException("DistributedDataParallel: rank " + r + "'s model differs from rank " + group.rank() + "'s ("
                + (j == 0 ? (int) a[r * k] + " parameters against " + params.length : "parameter shapes differ") + "); every rank must build the same architecture");
    }
  }

  /**
   * Copies rank 0's parameters and buffers into every rank (a collective; wrap calls it). Call it
   * again to re-synchronise buffers such as BatchNorm's running statistics before evaluating.
   */
  public void broadcastState() {
    for (Parameter p : params) group.broadcast(p.value(), 0);
    for (Tensor b : model.network().buffers().values()) group.broadcast(b, 0);
  }

  /** Copies rank 0's optimizer state tensors and step count into every rank. */
  private void broadcastOptimizerState() {
    Optimizer opt = model.optimizer();
    for (String name : opt.stateNames())
      for (int i = 0; i < params.length; i++) group.broadcast(opt.state(name, i), 0);
    long s = opt.steps();
    float[] st = {(float) (s >>> 24), (float) (s & 0xFFFFFF)};   // exact in float: 24-bit halves
    try (Tensor t = Tensor.of(Device.JAVA, st, 2).to(device)) {
      group.broadcast(t, 0);
      float[] got = t.toArray();
      long steps0 = ((long) got[0] << 24) | (long) got[1];
      if (steps0 != s) opt.restoreSteps(steps0);
    }
  }

  // ---------------------------------------------------------------- the step (DataParallel)

  @Override
  public void beforeBackward() {
    requireOpen();
    if (!model.device().equals(device))
      throw new IllegalStateException("DistributedDataParallel: " + model + " moved from " + device + " to " + model.device() + " after wrap; wrap it on its final device");
    drain();
    stepThread = Thread.currentThread();
    for (Slot s : slots.values()) s.ends = 0;
    for (Bucket b : buckets) b.pending = b.params.length;
    nextLaunch = 0;
    observed.clear();
    inBackward = true;
  }

  /** A layer's backward ended (the hook, on any thread): in a step, count it and start the buckets it completes. */
  private void backwardEnded(Object subject) {
    if (!inBackward || Thread.currentThread() != stepThread) return;
    Slot s = slots.get(subject);
    if (s == null) return;
    s.ends++;
    if (!discovered) {
      if (s.ends == 1) observed.add((Layer) subject);
      return;
    }
    if (!s.hookable) return;
    if (s.ends > 1)
      throw new IllegalStateException("DistributedDataParallel: the backward of " + ((Layer) subject).name() + " ran twice in one step, once in the first step; "
          + "the network's backward must run the same layers every step");
    for (int p : s.params) buckets[bucketOf[p]].pending--;
    while (nextLaunch < buckets.length && buckets[nextLaunch].pending == 0) {
      launch(buckets[nextLaunch++]);
      overlapped++;
    }
  }

  @Override
  public void afterBackward() {
    requireOpen();
    inBackward = false;
    long t0 = System.nanoTime();
    if (comm != null && discovered) {
      while (nextLaunch < buckets.length) launch(buckets[nextLaunch++]);
      drain();
    } else {
      for (Bucket b : buckets) {
        copyIn(b);
        group.allReduce(b.flat, ProcessGroup.ReduceOp.AVG);
      }
    }
    for (Bucket b : buckets) copyOut(b);
    waitSeconds += (System.nanoTime() - t0) * 1e-9;
    steps++;
    if (!discovered && comm != null) rebuildFromObservedOrder();
    discovered = true;
  }

  private void copyIn(Bucket b) {
    for (int k = 0; k < b.params.length; k++) b.views[k].copyFrom(params[b.params[k]].grad());
  }

  private void copyOut(Bucket b) {
    for (int k = 0; k < b.params.length; k++) params[b.params[k]].grad().copyFrom(b.views[k]);
  }

  /** Copies the bucket's gradients in (this thread) and hands it to the communication thread. */
  private void launch(Bucket b) {
    copyIn(b);
    inFlight++;
    if (!toReduce.offer(b)) throw new IllegalStateException("DistributedDataParallel: the all-reduce queue is full");
  }

  /** Waits for every launched bucket; rethrows the communication thread's failure. */
  private void drain() {
    if (comm == null) return;
    reduced.acquireUninterruptibly(inFlight);
    inFlight = 0;
    Throwable f = commFailure;
    if (f != null) {
      if (f instanceof DistributedException d) throw new DistributedException(d.getMessage(), d);
      throw new DistributedException("DistributedDataParallel: rank " + group.rank() + ": the all-reduce of a gradient bucket failed: " + f, f);
    }
  }

  /** The communication thread: all-reduces buckets in the order they come, one at a time. */
  private void communicate() {
    try {
      while (true) {
        Bucket b = toReduce.take();
        try {
          if (commFailure == null) group.allReduce(b.flat, ProcessGroup.ReduceOp.AVG);
        } catch (Throwable t) {
          commFailure = t;
        } finally {
          reduced.release();
        }
      }
    } catch (InterruptedException e) {
      // closed
    }
  }

  /**
   * After the first step: which layers' gradients are complete when their backward ends (those
   * that ended once), and the parameter order that makes buckets complete early; rank 0's order
   * is broadcast so every rank builds the same buckets.
   */
  private void rebuildFromObservedOrder() {
    int[] order = new int[params.length];
    boolean[] placed = new boolean[params.length];
    int n = 0;
    for (Layer l : observed) {
      Slot s = slots.get(l);
      if (s.ends != 1) continue;
      for (int p : s.params) if (!placed[p]) {
        placed[p] = true;
        order[n++] = p;
      }
    }
    for (int p = params.length - 1; p >= 0; p--) if (!placed[p]) order[n++] = p;   // complete only after backward: last
    float[] f = new float[params.length];
    for (int i = 0; i < f.length; i++) f[i] = order[i];
    try (Tensor t = Tensor.of(Device.JAVA, f, f.length).to(device)) {
      group.broadcast(t, 0);
      float[] got = t.toArray();
      for (int i = 0; i < got.length; i++) order[i] = (int) got[i];
    }
    for (Slot s : slots.values()) s.hookable = s.ends == 1;
    buildBuckets(order);
    observed.clear();
  }

  @Override
  public void allReduceSums(double[] values) {
    requireOpen();
    if (values.length > 8) throw new IllegalArgumentException("DistributedDataParallel.allReduceSums: at most 8 values, got " + values.length);
    int k = values.length;
    float[] hl = new float[2 * k];
    for (int i = 0; i < k; i++) {
      float hi = (float) values[i];
      hl[i] = hi;
      hl[k + i] = (float) (values[i] - hi);   // what float drops of the double: summed separately
    }
    Tensor t = sums.view(0, 2 * k);
    t.copyFrom(hl, 0);
    group.allReduce(t, ProcessGroup.ReduceOp.SUM);
    t.copyTo(hl, 0);
    for (int i = 0; i < k; i++) values[i] = (double) hl[i] + hl[k + i];
  }

  // ---------------------------------------------------------------- evaluation, callbacks

  /**
   * Loss and accuracy on data over all ranks: rank r evaluates rows [r*n/W, (r+1)*n/W) and the
   * sums are all-reduced (a collective). The accuracy is weighted by samples, which is exact when
   * every sample gets the same number of predictions (all of jnn's losses on fixed-shape data).
   * The same on every rank.
   */
  public Evaluation evaluate(Dataset data, int batchSize) {
    Objects.requireNonNull(data, "evaluate: data is null");
    int n = data.size(), w = group.worldSize(), r = group.rank();
    int from = (int) ((long) r * n / w), to = (int) ((long) (r + 1) * n / w);
    double[] s = new double[3];
    if (to > from) {
      Evaluation e = model.evaluate(data.slice(from, to), batchSize);
      s[0] = e.loss() * e.samples();
      s[1] = e.hasAccuracy() ? e.accuracy() * e.samples() : Double.NaN;
      s[2] = e.samples();
    }
    allReduceSums(s);
    return new Evaluation(s[0] / s[2], s[1] / s[2], (int) s[2]);
  }

  /** A callback that runs c on rank 0 only (progress lines, logs). */
  public Callback onLeader(Callback c) {
    Objects.requireNonNull(c, "callback");
    if (isLeader()) return c;
    return log -> {};
  }

  /** {@link Model#checkpointEvery}: written by rank 0 only. */
  public Callback checkpointEvery(int everyEpochs, Path path) { return model.checkpointEvery(everyEpochs, path); }

  // ---------------------------------------------------------------- close

  /**
   * Detaches from the model (its fit is single-process again), stops the communication thread and
   * removes the backward hook; the process group stays open (its owner closes it). Idempotent.
   */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    if (model.dataParallel() == this) model.dataParallel(null);
    if (hook != null) hook.uninstall();
    if (comm != null) {
      comm.interrupt();
      try {
        comm.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Bucket b : buckets) b.flat.close();
    sums.close();
  }

  private void requireOpen() {
    if (closed) throw new IllegalStateException("DistributedDataParallel: closed");
  }

  @Override
  public String toString() {
    return "DistributedDataParallel(" + model + ", rank " + group.rank() + " of " + group.worldSize() + ", " + group.backend() + ", " + buckets.length + " bucket(s))";
  }

  /**
   * The profiler hook through which backward reports each layer's end: forwards every range to
   * the listener installed before it (NVTX, another rank's hook in an in-process test) and tells
   * its DDP when a layer's backward ended.
   */
  private static final class Hook implements ProfileHooks.Listener {
    private final DistributedDataParallel ddp;
    private ProfileHooks.Listener next;
    private volatile boolean live;

    Hook(DistributedDataParallel ddp) { this.ddp = ddp; }

    void install() {
      synchronized (ProfileHooks.class) {
        next = ProfileHooks.install(this);
        live = true;
      }
    }

    /** Removes this hook when it is the installed one (skipping closed hooks below it); otherwise it only forwards from now on. */
    void uninstall() {
      synchronized (ProfileHooks.class) {
        live = false;
        if (ProfileHooks.listener() != this) return;
        ProfileHooks.Listener n = next;
        while (n instanceof Hook h && !h.live) n = h.next;
        ProfileHooks.install(n);
      }
    }

    @Override
    public void begin(ProfileHooks.Range range, Object subject, Object owner) {
      if (next != null) next.begin(range, subject, owner);
    }

    @Override
    public void end(ProfileHooks.Range range, Object subject, Object owner) {
      if (next != null) next.end(range, subject, owner);
      if (live && range == ProfileHooks.Range.BACKWARD) ddp.backwardEnded(subject);
    }
  }
}
