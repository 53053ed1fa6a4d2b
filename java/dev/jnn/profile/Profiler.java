package dev.jnn.profile;

import dev.jnn.backend.Backend;
import dev.jnn.backend.ProfilingBackend;
import dev.jnn.nn.Layer;
import dev.jnn.nn.Parameter;
import dev.jnn.nn.ProfileHooks;
import dev.jnn.optim.Optimizer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Where a model's time goes: per layer and phase (forward, backward, optimizer update), the
 * kernels launched, their time, bytes moved and FLOPs, against the device's peak.
 *
 * <pre>{@code
 * try (Profiler p = Profiler.start(model.network())) {   // any layer tree; model: a compiled dev.jnn.train.Model
 *   model.fit(train, FitOptions.builder().epochs(1).batchSize(64).build());
 *   System.out.println(p.report().table());          // top layers and kernels by time
 *   p.report().writeChromeTrace(Path.of("out/trace.json"));   // open in ui.perfetto.dev
 *   p.report().writeLayerChart(Path.of("out/layers.png"));
 * }                                                  // backends restored, hooks off
 * }</pre>
 *
 * <p><b>How it works.</b> While it runs, every layer of the model (found through
 * {@link Layer#children()}, however deeply nested) computes through a {@link ProfilingBackend}
 * wrapped around its own backend, which times each kernel (System.nanoTime; on a device backend
 * it synchronizes before and after each kernel). Composites call their children through
 * {@link Layer#call}, which reports each layer's forward and backward,
 * the trainer each step and loss call, the optimizer its step and each parameter's fused update
 * (through {@link ProfileHooks}), so kernels are attributed to the layer and phase that launched
 * them. Optimizer updates are attributed to the layer owning the parameter (phase {@code update}).
 * Loss kernels and gradient clipping run on the device's shared backend and appear as ranges
 * without kernel detail. When NVTX is available (libjnn_nvtx with NVTX3), the same ranges are
 * pushed as NVTX ranges named {@code "Conv2d#1.forward"}, etc. (see {@link NvtxRanges}).
 *
 * <p><b>Windows.</b> {@link Builder#warmupSteps} and {@link Builder#steps} restrict recording to
 * training steps {@code warmup+1 .. warmup+steps} (only events inside those steps are recorded);
 * after the last one the profiler detaches by itself (backends restored, hooks off) and hands the
 * report to {@link Builder#onComplete}. Without a window everything between start and close is
 * recorded. Without a model ({@link Builder#model} not called) it attaches to the model of the
 * first training step it sees.
 *
 * <p><b>Cost.</b> Off: each instrumented call site reads one static field. On: see
 * docs/PROFILING.md for the measured overhead per kernel and per layer range. One profiler may
 * run at a time; events are kept in memory (at most {@link Builder#maxEvents}, then dropped and
 * counted). {@link #close} always restores the layers' backends, also after an exception.
 */
public final class Profiler implements AutoCloseable {
  private static final Object LOCK = new Object();
  private static Profiler active;

  private final int warmup, window;
  private final long maxEvents;
  private final boolean nvtx;
  private final Consumer<ProfileReport> onComplete;

  private final LayerNames names = new LayerNames();
  private final Map<Layer, ProfilingBackend> swapped = new IdentityHashMap<>();
  private final Map<Layer, String[]> phaseNames = new IdentityHashMap<>();
  private final Map<String, String> descriptions = new LinkedHashMap<>();
  private final Map<Parameter, String> paramLayer = new IdentityHashMap<>();
  private final Map<Optimizer, String[]> optimizerInfo = new IdentityHashMap<>();
  private final Map<Object, String[]> lossNames = new IdentityHashMap<>();
  private final List<ThreadLog> threads = new CopyOnWriteArrayList<>();
  private final ThreadLocal<ThreadLog> local = ThreadLocal.withInitial(this::newThreadLog);
  private final AtomicLong recorded = new AtomicLong(), dropped = new AtomicLong();
  private final ProfileHooks.Listener listener = new Listener();
  private final ProfileHooks.Listener previous;
  private final long originNs = System.nanoTime();

  private volatile boolean recording;
  private volatile boolean attached, detached;
  private Layer model;
  private Backend deviceBackend;
  private int stepsBegun, stepsRecorded;
  private boolean completed;
  private ProfileReport finalReport;

  private Profiler(Builder b) {
    this.warmup = b.warmup;
    this.window = b.steps;
    this.maxEvents = b.maxEvents;
    this.nvtx = b.nvtx && NvtxRanges.available();
    this.onComplete = b.onComplete;
    this.recording = b.warmup == 0 && b.steps == 0;
    synchronized (LOCK) {
      if (active != null) throw new IllegalStateException("Profiler: another profiler is running; close it first");
      active = this;
    }
    try {
      if (b.model != null) attach(b.model);
      previous = ProfileHooks.install(listener);
    } catch (RuntimeException e) {
      detach();
      synchronized (LOCK) {
        active = null;
      }
      throw e;
    }
  }

  /** Starts profiling model now, recording everything until {@link #close()}. */
  public static Profiler start(Layer model) {
    return builder().model(Objects.requireNonNull(model, "Profiler.start: model is null")).start();
  }

  public static Builder builder() { return new Builder(); }

  /** Options of a profiler; {@link #start()} starts it. */
  public static final class Builder {
    private Layer model;
    private int warmup, steps;
    private long maxEvents = 2_000_000;
    private boolean nvtx = true;
    private Consumer<ProfileReport> onComplete;

    private Builder() {}

    /** The model to profile (attached at start); without it, the model of the first training step. */
    public Builder model(Layer m) {
      model = Objects.requireNonNull(m, "model");
      return this;
    }

    /** Training steps to run profiled but unrecorded first (JIT, caches, allocations settle); default 0. */
    public Builder warmupSteps(int w) {
      if (w < 0) throw new IllegalArgumentException("Profiler: warmupSteps must be >= 0, got " + w);
      warmup = w;
      return this;
    }

    /** Training steps to record after the warm-up, then detach; 0 (default) records until close. */
    public Builder steps(int n) {
      if (n < 0) throw new IllegalArgumentException("Profiler: steps must be >= 0, got " + n);
      steps = n;
      return this;
    }

    /** At most this many events are kept (default 2,000,000); later ones are dropped and counted in the report. */
    public Builder maxEvents(long n) {
      if (n < 1) throw new IllegalArgumentException("Profiler: maxEvents must be >= 1, got " + n);
      maxEvents = n;
      return this;
    }

    /** Whether to push NVTX ranges while profiling (default true; effective only where NVTX is available). */
    public Builder nvtx(boolean on) {
      nvtx = on;
      return this;
    }

    /** Called once with the report when the step window completes, or at close if it did not. */
    public Builder onComplete(Consumer<ProfileReport> c) {
      onComplete = c;
      return this;
    }

    public Profiler start() {
      if (warmup > 0 && steps == 0) throw new IllegalArgumentException("Profiler: warmupSteps needs steps(n) > 0 (the window to record after it)");
      return new Profiler(this);
    }
  }

  // ---------------------------------------------------------------- state

  /** Whether events are being recorded now. */
  public boolean isRecording() { return recording && !detached; }

  /** Whether the profiler still has hooks and backends in place (false after the window or close). */
  public boolean isAttached() { return attached && !detached; }

  /** Training steps recorded so far. */
  public synchronized int stepsRecorded() { return stepsRecorded; }

  /** The layer names this profiler uses ({@code "Conv2d#1"}), e.g. to look rows up in the report. */
  public String nameOf(Layer layer) { return names.of(layer); }

  /**
   * What was recorded so far (a snapshot; after the window or {@link #close()}, the final
   * report). Call it on the training thread or after training: events of a thread are copied
   * under its lock, so a concurrent snapshot is consistent but may miss the latest step.
   */
  public synchronized ProfileReport report() {
    if (finalReport != null) return finalReport;
    return snapshot(!detached);
  }

  private ProfileReport snapshot(boolean partial) {
    List<ProfileEvent> all = new ArrayList<>();
    for (ThreadLog t : threads) {
      synchronized (t) {
        all.addAll(t.events);
      }
    }
    Backend be = deviceBackend;
    return new ProfileReport(all, stepsRecorded, warmup, window, be == null ? "(no model attached)" : be.device().toString(),
        be == null ? "" : be.describe(), be == null ? null : DevicePeak.of(be), new LinkedHashMap<>(descriptions), dropped.get(), originNs,
        partial);
  }

  /** Detaches (restores every layer's backend, removes the hooks) and freezes the report; idempotent. */
  @Override
  public void close() {
    boolean notify;
    synchronized (this) {
      detach();
      notify = !completed;
      completed = true;
      if (finalReport == null) finalReport = snapshot(false);
    }
    if (notify && onComplete != null) onComplete.accept(finalReport);
  }

  // ---------------------------------------------------------------- attach / detach

  private synchronized void attach(Layer m) {
    if (attached) return;
    attached = true;
    model = m;
    deviceBackend = ProfileHooks.backendOf(m);
    if (deviceBackend instanceof ProfilingBackend pb) deviceBackend = pb.delegate();
    names.assign(m);
    wrap(m);
    mapParameters(m);
  }

  /** Puts a ProfilingBackend (one per layer: kernels know their layer) in front of every layer's backend, pre-order. */
  private void wrap(Layer l) {
    Backend cur = ProfileHooks.backendOf(l);
    if (!(cur instanceof ProfilingBackend) && !swapped.containsKey(l)) {
      String ln = names.of(l);
      descriptions.putIfAbsent(ln, l.name());
      ProfilingBackend pb = new ProfilingBackend(cur, (be, k, t0, t1, flops, bytes, args) -> kernel(ln, be, k, t0, t1, flops, bytes, args));
      ProfileHooks.swapBackend(l, pb);
      swapped.put(l, pb);
    }
    for (Layer.Child c : l.children()) wrap(c.layer());
  }

  /** Each parameter belongs to the innermost layer containing it (its owner): the layer whose ranges its optimizer update is reported under. */
  private void mapParameters(Layer m) {
    for (Layer l : m.allLayers())   // pre-order: a deeper layer overwrites its ancestors
      for (Parameter p : l.parameters()) paramLayer.put(p, names.of(l));
  }

  private synchronized void detach() {
    if (detached) return;
    detached = true;
    recording = false;
    for (Map.Entry<Layer, ProfilingBackend> e : swapped.entrySet()) {
      Layer l = e.getKey();
      ProfilingBackend pb = e.getValue();
      // a layer moved to another device meanwhile has a new backend: leave it alone
      if (ProfileHooks.backendOf(l) == pb) ProfileHooks.swapBackend(l, pb.delegate());
    }
    if (ProfileHooks.listener() == listener) ProfileHooks.install(previous);
    synchronized (LOCK) {
      if (active == this) active = null;
    }
  }

  /** After the last window step: detach and hand the report over (on the training thread). */
  private void completeWindow() {
    ProfileReport r;
    synchronized (this) {
      if (completed) return;
      detach();
      completed = true;
      finalReport = r = snapshot(false);
    }
    if (onComplete != null) onComplete.accept(r);
  }

  // ---------------------------------------------------------------- recording

  /** Per-thread stack of open ranges and the thread's events (appended under the log's lock). */
  private static final class ThreadLog {
    final long tid;
    final String threadName;
    Frame[] stack = new Frame[16];
    int depth;
    final ArrayList<ProfileEvent> events = new ArrayList<>();

    ThreadLog(Thread t) {
      tid = t.getId();
      threadName = t.getName();
    }

    Frame push() {
      if (depth == stack.length) stack = java.util.Arrays.copyOf(stack, depth * 2);
      Frame f = stack[depth];
      if (f == null) stack[depth] = f = new Frame();
      depth++;
      return f;
    }
  }

  /** An open range (reused: the stack allocates nothing in steady state). */
  private static final class Frame {
    ProfileHooks.Range range;
    Object subject;
    String name, category, layer, phase;
    long start, bytes;
    Object[] args;
    boolean record, nvtxPushed;
  }

  private ThreadLog newThreadLog() {
    ThreadLog t = new ThreadLog(Thread.currentThread());
    threads.add(t);
    return t;
  }

  /** Claims room for one event; false (and counted as dropped) once maxEvents were recorded. */
  private boolean room() {
    if (recorded.incrementAndGet() <= maxEvents) return true;
    dropped.incrementAndGet();
    return false;
  }

  private static void add(ThreadLog t, ProfileEvent e) {
    synchronized (t) {
      t.events.add(e);
    }
  }

  private void kernel(String layerOfBackend, ProfilingBackend be, String kernel, long t0, long t1, long flops, long bytes, Object[] args) {
    if (!recording || !room()) return;
    ThreadLog t = local.get();
    Frame f = t.depth > 0 ? t.stack[t.depth - 1] : null;
    String layer = f != null && f.layer != null ? f.layer : layerOfBackend;
    String phase = f != null ? f.phase : "call";
    if (f != null && f.layer != null && !f.layer.equals(layerOfBackend)) args = withLayer(args, layerOfBackend);
    add(t, new ProfileEvent(kernel, ProfileEvent.KERNEL, t.tid, t.threadName, t0, t1 - t0, t.depth, layer, phase, flops, bytes,
        be.deviceName(), args));
  }

  /** A kernel of an inner layer (TimeDistributed's Dense) reported under its outer range: name the inner layer in the args. */
  private static Object[] withLayer(Object[] args, String layer) {
    Object[] a = java.util.Arrays.copyOf(args, args.length + 2);
    a[args.length] = "layer";
    a[args.length + 1] = layer;
    return a;
  }

  private String[] phaseNamesOf(Layer l) {
    String[] n = phaseNames.get(l);
    if (n == null) {
      String ln = names.of(l);
      descriptions.putIfAbsent(ln, l.name());
      phaseNames.put(l, n = new String[] {ln, ln + ".forward", ln + ".backward"});
    }
    return n;
  }

  /** {"Loss.forward", "Loss.backward"} of a loss, cached; records its description. */
  private String[] lossNames(Object loss) {
    String[] n = lossNames.get(loss);
    if (n == null) {
      String cls = loss.getClass().getSimpleName();
      descriptions.putIfAbsent("loss", cls);
      lossNames.put(loss, n = new String[] {cls + ".forward", cls + ".backward"});
    }
    return n;
  }

  /** {kernel name, bytes per element}: "adam_update" and (2 + states) reads + (1 + states) writes of 4 bytes. */
  private String[] optimizerInfo(Optimizer o) {
    String[] i = optimizerInfo.get(o);
    if (i == null) {
      int states = o.stateNames().size();
      String cls = o.getClass().getSimpleName();
      descriptions.putIfAbsent("optimizer", cls + " step, updates included");
      optimizerInfo.put(o, i = new String[] {cls.toLowerCase(java.util.Locale.ROOT) + "_update", Integer.toString(4 * (3 + 2 * states)), cls + ".step"});
    }
    return i;
  }

  private final class Listener implements ProfileHooks.Listener {
    @Override
    public void begin(ProfileHooks.Range r, Object subject, Object owner) {
      if (r == ProfileHooks.Range.STEP && subject instanceof Layer m) beginStep(m);
      ThreadLog t = local.get();
      Frame f = t.push();
      f.range = r;
      f.subject = subject;
      f.args = null;
      f.bytes = -1;
      f.record = recording;
      switch (r) {
        case STEP -> { f.name = "step"; f.category = ProfileEvent.STEP; f.layer = null; f.phase = "step"; }
        case FORWARD, BACKWARD -> {
          String[] n;
          synchronized (Profiler.this) {
            n = phaseNamesOf((Layer) subject);
          }
          boolean fwd = r == ProfileHooks.Range.FORWARD;
          f.name = fwd ? n[1] : n[2];
          f.category = ProfileEvent.LAYER;
          f.layer = n[0];
          f.phase = fwd ? "forward" : "backward";
        }
        case LOSS_FORWARD, LOSS_BACKWARD -> {
          boolean fwd = r == ProfileHooks.Range.LOSS_FORWARD;
          String[] n;
          synchronized (Profiler.this) {
            n = lossNames(subject);
          }
          f.name = fwd ? n[0] : n[1];
          f.category = ProfileEvent.LOSS;
          f.layer = "loss";
          f.phase = fwd ? "forward" : "backward";
        }
        case OPTIMIZER_STEP -> {
          String[] i;
          synchronized (Profiler.this) {
            i = optimizerInfo((Optimizer) subject);
          }
          f.name = i[2];
          f.category = ProfileEvent.OPTIMIZER;
          f.layer = "optimizer";
          f.phase = "step";
        }
        case UPDATE -> {
          Parameter p = (Parameter) subject;
          String[] i;
          String pl;
          synchronized (Profiler.this) {
            i = optimizerInfo((Optimizer) owner);
            pl = paramLayer.get(p);
          }
          f.name = i[0];
          f.category = ProfileEvent.KERNEL;
          f.layer = pl == null ? "?" : pl;
          f.phase = "update";
          f.bytes = (long) Integer.parseInt(i[1]) * p.size();
          f.args = new Object[] {"param", p.name(), "shape", p.value()};
        }
      }
      f.nvtxPushed = false;
      if (nvtx && !detached) {
        NvtxRanges.push(r == ProfileHooks.Range.UPDATE ? f.layer + "." + ((Parameter) subject).name() + ".update" : f.name);
        f.nvtxPushed = true;
      }
      f.start = System.nanoTime();
    }

    @Override
    public void end(ProfileHooks.Range r, Object subject, Object owner) {
      long now = System.nanoTime();
      ThreadLog t = local.get();
      if (t.depth == 0) return;
      Frame f = t.stack[t.depth - 1];
      if (f.range != r || f.subject != subject) return;   // a range opened before this profiler started: not ours
      t.depth--;
      if (f.nvtxPushed) NvtxRanges.pop();
      if (f.record && room())
        add(t, new ProfileEvent(f.name, f.category, t.tid, t.threadName, f.start, now - f.start, t.depth, f.layer, f.phase, -1, f.bytes,
            r == ProfileHooks.Range.UPDATE && subject instanceof Parameter p ? p.device().toString() : null, f.args));
      f.subject = null;
      f.args = null;
      if (r == ProfileHooks.Range.STEP) endStep(f.record);
    }
  }

  private void beginStep(Layer m) {
    if (detached) return;
    if (!attached) attach(m);
    synchronized (this) {
      stepsBegun++;
      if (window > 0) recording = stepsBegun > warmup && stepsBegun <= warmup + window;
    }
  }

  private void endStep(boolean wasRecorded) {
    boolean done;
    synchronized (this) {
      if (wasRecorded) stepsRecorded++;
      done = window > 0 && !detached && stepsBegun >= warmup + window;
      if (window > 0) recording = false;
    }
    if (done) completeWindow();
  }
}
