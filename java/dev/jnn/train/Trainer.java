package dev.jnn.train;

import dev.jnn.data.DataLoader;
import dev.jnn.data.Dataset;
import dev.jnn.data.Sampler;
import dev.jnn.io.TrainingProgress;
import dev.jnn.loss.Loss;
import dev.jnn.nn.Layer;
import dev.jnn.nn.ProfileHooks;
import dev.jnn.nn.ShapeCache;
import dev.jnn.optim.Optimizer;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.List;
import java.util.Objects;

/**
 * The training and evaluation loops behind {@link Model#fit} and {@link Model#evaluate}: they know
 * only {@link Model} (any network: a Sequential, a graph, a user's composite; one input or several).
 *
 * <p>A steady-state step allocates nothing on the Java heap: the batch tensors are allocated once
 * per fit call by the {@link DataLoader} (reusable batch buffers; the last partial batch is a view
 * of a full one), shuffled rows are gathered into them with {@link System#arraycopy}, the layers
 * and the loss reuse their per-shape buffers, and the optimizer makes one kernel call per
 * parameter. A step is: forward, loss forward, finiteness check, accuracy count (host loop over
 * the batch's outputs), loss backward, model backward, optimizer step.
 *
 * <p>On a GPU the loader still makes host batches; each is uploaded into a device tensor cached
 * per batch shape (one host-to-device copy per batch, no device allocation per step), and the
 * accuracy count reads the outputs through host buffers the loss reuses. The upload tensors are
 * returned to the pool when fit or evaluate returns.
 */
public final class Trainer {
  private Trainer() {}

  /** Accuracy counters of one pass; mutable so the step loop does not allocate. */
  private static final class Counts {
    long correct, judged;
  }

  /**
   * Host batches uploaded into device tensors cached per shape (a full and a last partial batch):
   * used only when the model is on a device; {@link #close()} returns the device tensors.
   */
  private static final class Uploads implements AutoCloseable {
    final Device device;
    final ShapeCache<Tensor> ys = new ShapeCache<>();
    final ShapeCache<?>[] xs;
    final Tensor[] dev;

    Uploads(Device device, int inputs) {
      this.device = device;
      xs = new ShapeCache<?>[inputs];
      for (int i = 0; i < inputs; i++) xs[i] = new ShapeCache<Tensor>();
      dev = new Tensor[inputs];
    }

    /** Host batches' copies on the device (one copy per input into the cached tensor of its shape); an array the uploads own. */
    @SuppressWarnings("unchecked")
    Tensor[] x(Tensor[] host) {
      for (int i = 0; i < host.length; i++) dev[i] = upload((ShapeCache<Tensor>) xs[i], host[i]);
      return dev;
    }
    Tensor y(Tensor host) { return upload(ys, host); }

    private Tensor upload(ShapeCache<Tensor> c, Tensor host) {
      Tensor t = c.get(host);
      if (t == null) t = c.put(host, Tensor.zeros(device, host.shape()));
      t.copyFrom(host);
      return t;
    }

    @Override
    public void close() {
      for (ShapeCache<?> c : xs) c.clear();
      ys.clear();
    }
  }

  /** The device of the host batches for a model on {@code d}: d itself on the host, the java device for a GPU model. */
  private static Device batchDevice(Device d) { return d.isHost() ? d : Device.JAVA; }

  /**
   * Host batch buffers (on the model's device when it is a host device): a full batch and a last,
   * partial one, each shaped like the data set's samples ((batch, f) for feature vectors,
   * (batch, C, H, W) for images).
   */
  private static final class Batches {
    final int size;
    final Tensor[] x, xLast;
    final Tensor y, yLast;

    Batches(Device d, int n, int batch, Dataset data) {
      size = Math.min(batch, n);
      int k = data.numInputs(), rem = n % size;
      int[] ts = data.targets().shape();
      x = new Tensor[k];
      xLast = rem == 0 ? null : new Tensor[k];
      for (int i = 0; i < k; i++) {
        int[] fs = data.input(i).shape();
        x[i] = Tensor.zeros(d, withRows(fs, size));
        if (rem != 0) xLast[i] = Tensor.zeros(d, withRows(fs, rem));
      }
      y = Tensor.zeros(d, withRows(ts, size));
      yLast = rem == 0 ? null : Tensor.zeros(d, withRows(ts, rem));
    }

    private static int[] withRows(int[] shape, int rows) {
      int[] s = shape.clone();
      s[0] = rows;
      return s;
    }
  }

  /**
   * Trains model (compiled with loss and optimizer) on data; see {@link Sequential#fit(Dataset, FitOptions)}.
   * Batches come from a {@link DataLoader} with the options' batch size, shuffle flag, seed and
   * prefetch, on the model's device (the shuffling order fit has always had).
   */
  static History fit(Model model, Dataset data, FitOptions o) {
    Objects.requireNonNull(data, "fit: training data is null");
    Objects.requireNonNull(o, "fit: options are null");
    if (data.size() == 0) throw new IllegalArgumentException("fit: training data is empty");
    DataLoader loader = DataLoader.builder(data).batchSize(o.batchSize()).shuffle(o.shuffle()).seed(o.seed()).prefetch(o.prefetch())
        .device(batchDevice(model.device())).build();
    return fit(model, loader, o);
  }

  /**
   * Data-parallel training ({@link Model#dataParallel()}): a loader without a sampler is taken as
   * the global one, and becomes this process's share (the dp's sampler, batchSize / worldSize).
   */
  private static DataLoader shard(DataLoader loader, DataParallel dp) {
    if (dp == null || loader.sampler() != null) return loader;
    int w = dp.worldSize(), b = loader.batchSize();
    if (b % w != 0)
      throw new IllegalArgumentException("fit: the batch size " + b + " is the global batch of " + w + " processes and must be divisible by " + w
          + " (each process trains on batchSize / " + w + " samples per step)");
    Sampler s = dp.sampler();
    if (s.replicas() != w) throw new IllegalStateException("fit: the data-parallel sampler has " + s.replicas() + " replicas, the world size is " + w);
    return loader.toBuilder().batchSize(b / w).sampler(s).build();
  }

  /**
   * Trains on the batches of a loader: its batch size, shuffling, seed, normalization and prefetch
   * apply (the options' batchSize, shuffle, seed and prefetch are ignored, except that validation
   * runs in batches of the options' batchSize). Trains epochs {@code o.initialEpoch() + 1} to
   * {@code o.epochs()}, each on the batches an uninterrupted run sees in it, and records the
   * progress in the model ({@link Sequential#trainingProgress()}) after every epoch.
   */
  static History fit(Model model, DataLoader loader, FitOptions o) {
    Objects.requireNonNull(loader, "fit: data loader is null");
    DataParallel dp = model.dataParallel();
    loader = shard(loader, dp);
    Loss loss = model.loss();
    Optimizer optimizer = model.optimizer();
    Objects.requireNonNull(o, "fit: options are null");
    Dataset data = loader.dataset();
    if (data.size() == 0) throw new IllegalArgumentException("fit: training data is empty");
    // host batches: tagged with the model's device on the host; any host device for a GPU model (uploaded per batch)
    Device bd = model.device().isHost() ? model.device() : loader.device();
    if (!loader.device().equals(bd))
      loader = loader.toBuilder().device(bd).build();  // host devices share memory: only the tag differs
    checkData(model, loss, data, "fit: training data");
    Dataset val = o.validation();
    if (val != null) {
      if (val.size() == 0) throw new IllegalArgumentException("fit: validation data is empty");
      checkData(model, loss, val, "fit: validation data");
    }

    Device dev = model.device();
    double[] sums = dp == null ? null : new double[4];   // loss sum, samples, correct, judged: summed over the processes
    Batches vb = val == null ? null : new Batches(bd, val.size(), o.batchSize(), val);
    int stepsPerEpoch = loader.batchesPerEpoch();
    Counts counts = new Counts();
    History history = new History();
    List<Callback> callbacks = o.callbacks();
    for (int c = 0; c < callbacks.size(); c++) callbacks.get(c).onTrainBegin(o.epochs(), stepsPerEpoch);

    try (Uploads up = dev.isHost() ? null : new Uploads(dev, data.numInputs());
         DataLoader.Cursor cursor = loader.open(o.initialEpoch() + 1, o.epochs())) {
      for (int epoch = o.initialEpoch() + 1; epoch <= o.epochs(); epoch++) {
        long t0 = System.nanoTime();
        double lossSum = 0;
        counts.correct = 0;
        counts.judged = 0;
        int step = 0, seen = 0;
        for (DataLoader.Batch b; (b = cursor.next()) != null; ) {
          step++;
          Tensor[] bx = up == null ? b.xs() : up.x(b.xs());
          Tensor by = up == null ? b.y() : up.y(b.y());
          float l = step(model, loss, optimizer, bx, by, counts, "fit", epoch, step, dp);
          lossSum += (double) l * b.size();
          seen += b.size();
          double runningAcc = counts.judged > 0 ? (double) counts.correct / counts.judged : Double.NaN;
          for (int c = 0; c < callbacks.size(); c++) {
            callbacks.get(c).onBatchEnd(epoch, step, l);
            callbacks.get(c).onBatchProgress(epoch, step, seen, lossSum / seen, runningAcc);
          }
        }
        double lossTotal = lossSum, samples = seen, correct = counts.correct, judged = counts.judged;
        if (dp != null) {
          sums[0] = lossSum;
          sums[1] = seen;
          sums[2] = correct;
          sums[3] = judged;
          dp.allReduceSums(sums);
          lossTotal = sums[0];
          samples = sums[1];
          correct = sums[2];
          judged = sums[3];
        }
        double acc = loss.hasAccuracy() ? correct / judged : Double.NaN;
        double vl = Double.NaN, va = Double.NaN;
        if (val != null) {
          Evaluation e = evaluate(model.network(), loss, val, vb, counts, up);
          vl = e.loss();
          va = e.accuracy();
        }
        model.setTrainingProgress(new TrainingProgress(epoch, loader.seed(), loader.globalBatchSize(), loader.shuffle()));
        EpochLog log = new EpochLog(epoch, o.epochs(), step, lossTotal / samples, acc, vl, va, optimizer.lastLr(), (System.nanoTime() - t0) * 1e-9);
        history.add(log);
        for (int c = 0; c < callbacks.size(); c++) callbacks.get(c).onEpochEnd(log);
      }
    }
    for (int c = 0; c < callbacks.size(); c++) callbacks.get(c).onTrainEnd(history);
    return history;
  }

  /** One training step on a batch already on the model's device; see {@link Model#trainOnBatch}. */
  static float trainOnBatch(Model model, Tensor[] xs, Tensor y) {
    return step(model, model.loss(), model.optimizer(), xs, y, null, "trainOnBatch", 0, 0, model.dataParallel());
  }

  private static float step(Model model, Loss loss, Optimizer opt, Tensor[] x, Tensor y, Counts counts, String where, int epoch, int step,
                            DataParallel dp) {
    ProfileHooks.Listener h = ProfileHooks.listener();   // null unless profiling or NVTX ranges are on
    if (h != null) return tracedStep(h, model, loss, opt, x, y, counts, where, epoch, step, dp);
    Tensor out = Model.run(model.network(), x, true);
    float l = loss.forward(out, y);
    if (!Float.isFinite(l)) throw nonFinite(l, where, epoch, step, x);
    if (counts != null && loss.hasAccuracy()) {
      counts.correct += loss.countCorrect(out, y);
      counts.judged += loss.countPredictions(out);
    }
    Tensor g = loss.backward();
    if (dp != null) dp.beforeBackward();
    model.network().backward(g);
    if (dp != null) dp.afterBackward();
    opt.step();
    return l;
  }

  /** {@link #step} inside a STEP range, with the loss calls in LOSS_FORWARD / LOSS_BACKWARD ranges (dev.jnn.profile). */
  private static float tracedStep(ProfileHooks.Listener h, Model model, Loss loss, Optimizer opt, Tensor[] x, Tensor y, Counts counts,
                                  String where, int epoch, int step, DataParallel dp) {
    h.begin(ProfileHooks.Range.STEP, model.network(), null);
    try {
      Tensor out = Model.run(model.network(), x, true);
      float l;
      h.begin(ProfileHooks.Range.LOSS_FORWARD, loss, null);
      try {
        l = loss.forward(out, y);
      } finally {
        h.end(ProfileHooks.Range.LOSS_FORWARD, loss, null);
      }
      if (!Float.isFinite(l)) throw nonFinite(l, where, epoch, step, x);
      if (counts != null && loss.hasAccuracy()) {
        counts.correct += loss.countCorrect(out, y);
        counts.judged += loss.countPredictions(out);
      }
      Tensor g;
      h.begin(ProfileHooks.Range.LOSS_BACKWARD, loss, null);
      try {
        g = loss.backward();
      } finally {
        h.end(ProfileHooks.Range.LOSS_BACKWARD, loss, null);
      }
      if (dp != null) dp.beforeBackward();
      model.network().backward(g);
      if (dp != null) dp.afterBackward();
      opt.step();
      return l;
    } finally {
      h.end(ProfileHooks.Range.STEP, model.network(), null);
    }
  }

  private static IllegalStateException nonFinite(float l, String where, int epoch, int step, Tensor[] x) {
    String at = epoch > 0 ? " at epoch " + epoch + ", step " + step : "";
    return new IllegalStateException(where + ": the loss is " + l + at + " (batch " + x[0].shapeString()
        + "); the parameters were not updated by this step. Lower the learning rate or clip gradients (clipGlobalNorm)");
  }

  /** Mean loss and accuracy of model on data, in batches of batchSize, run on net (the model's network or a replica); see {@link Model#evaluate}. */
  static Evaluation evaluate(Model model, Layer net, Dataset data, int batchSize) {
    Loss loss = model.loss();
    Objects.requireNonNull(data, "evaluate: data is null");
    if (batchSize < 1) throw new IllegalArgumentException("evaluate: batchSize must be >= 1, got " + batchSize);
    if (data.size() == 0) throw new IllegalArgumentException("evaluate: data is empty");
    checkData(model, loss, data, "evaluate: data");
    Batches b = new Batches(batchDevice(model.device()), data.size(), batchSize, data);
    try (Uploads up = model.device().isHost() ? null : new Uploads(model.device(), data.numInputs())) {
      return evaluate(net, loss, data, b, new Counts(), up);
    }
  }

  /**
   * The evaluation loop on net. The loss is the model's, shared by concurrent evaluations: its
   * forward and the accuracy count (which use the loss's buffers) run under its lock.
   */
  private static Evaluation evaluate(Layer net, Loss loss, Dataset data, Batches b, Counts counts, Uploads up) {
    int n = data.size();
    double lossSum = 0;
    counts.correct = 0;
    counts.judged = 0;
    for (int start = 0; start < n; start += b.size) {
      int rows = Math.min(b.size, n - start);
      Tensor[] x = rows == b.size ? b.x : b.xLast;
      Tensor y = rows == b.size ? b.y : b.yLast;
      for (int i = 0; i < x.length; i++) copyRows(data.input(i), start, rows, x[i]);
      copyRows(data.targets(), start, rows, y);
      if (up != null) {
        x = up.x(x);
        y = up.y(y);
      }
      Tensor out = Model.run(net, x, false);
      synchronized (loss) {
        float l = loss.forward(out, y);
        lossSum += (double) l * rows;
        if (loss.hasAccuracy()) {
          counts.correct += loss.countCorrect(out, y);
          counts.judged += loss.countPredictions(out);
        }
      }
    }
    return new Evaluation(lossSum / n, loss.hasAccuracy() ? (double) counts.correct / counts.judged : Double.NaN, n);
  }

  /** Shape, finiteness and target checks of a data set against the model, before any step. */
  private static void checkData(Model model, Loss loss, Dataset data, String what) {
    if (data.numInputs() != model.inputCount())
      throw new IllegalArgumentException(what + " has " + data.numInputs() + " input(s) but the model takes " + model.inputCount());
    int[][] in = new int[data.numInputs()][];
    for (int i = 0; i < in.length; i++) {
      in[i] = data.input(i).shape();
      in[i][0] = -1;
    }
    int[] out = in.length == 1 ? model.network().outputShape(in[0]) : model.network().outputShape(in);
    data.requireFinite(what);
    loss.checkTargets(data.targets(), out);
  }

  /** Elements per sample (row) of a tensor whose dimension 0 is the sample: dim 1 for a matrix, C H W for images. */
  private static int rowWidth(Tensor t) {
    int w = 1;
    for (int i = 1; i < t.rank(); i++) w *= t.dim(i);
    return w;
  }

  /** dst = src rows [start, start + rows), one arraycopy. */
  static void copyRows(Tensor src, int start, int rows, Tensor dst) {
    int w = rowWidth(src);
    System.arraycopy(src.data(), src.offset() + start * w, dst.data(), dst.offset(), rows * w);
  }
}
