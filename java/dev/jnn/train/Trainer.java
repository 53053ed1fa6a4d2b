package dev.jnn.train;

import dev.jnn.data.Dataset;
import dev.jnn.loss.Loss;
import dev.jnn.nn.Sequential;
import dev.jnn.optim.Optimizer;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The training and evaluation loops behind {@link Sequential#fit} and {@link Sequential#evaluate}.
 *
 * <p>A steady-state step allocates nothing on the Java heap: the batch tensors are allocated once
 * per fit call (one full batch and, if the data set does not divide evenly, one for the last
 * partial batch), shuffled rows are gathered into them with {@link System#arraycopy}, the layers
 * and the loss reuse their per-shape buffers, and the optimizer makes one kernel call per
 * parameter. A step is: forward, loss forward, finiteness check, accuracy count (host loop over
 * the batch's outputs), loss backward, model backward, optimizer step.
 */
public final class Trainer {
  private Trainer() {}

  /** Accuracy counters of one pass; mutable so the step loop does not allocate. */
  private static final class Counts {
    long correct, judged;
  }

  /** Batch buffers on the model's device: a full batch and a last, partial one. */
  private static final class Batches {
    final int size;
    final Tensor x, y, xLast, yLast;

    Batches(Device d, int n, int batch, int f, int t) {
      size = Math.min(batch, n);
      x = Tensor.zeros(d, size, f);
      y = Tensor.zeros(d, size, t);
      int rem = n % size;
      xLast = rem == 0 ? null : Tensor.zeros(d, rem, f);
      yLast = rem == 0 ? null : Tensor.zeros(d, rem, t);
    }
  }

  /** Trains model (compiled with loss and optimizer) on data; see {@link Sequential#fit(Dataset, FitOptions)}. */
  public static History fit(Sequential model, Loss loss, Optimizer optimizer, Dataset data, FitOptions o) {
    Objects.requireNonNull(data, "fit: training data is null");
    Objects.requireNonNull(o, "fit: options are null");
    if (data.size() == 0) throw new IllegalArgumentException("fit: training data is empty");
    checkData(model, loss, data, "fit: training data");
    Dataset val = o.validation();
    if (val != null) {
      if (val.size() == 0) throw new IllegalArgumentException("fit: validation data is empty");
      checkData(model, loss, val, "fit: validation data");
    }

    Device dev = model.device();
    int n = data.size(), f = data.numFeatures(), t = data.numTargets();
    Batches b = new Batches(dev, n, o.batchSize(), f, t);
    Batches vb = val == null ? null : val.size() == n ? b : new Batches(dev, val.size(), o.batchSize(), f, t);
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) perm[i] = i;
    SplittableRandom rng = new SplittableRandom(o.seed());
    int stepsPerEpoch = (n + b.size - 1) / b.size;
    Counts counts = new Counts();
    History history = new History();
    List<Callback> callbacks = o.callbacks();
    for (int c = 0; c < callbacks.size(); c++) callbacks.get(c).onTrainBegin(o.epochs(), stepsPerEpoch);

    for (int epoch = 1; epoch <= o.epochs(); epoch++) {
      long t0 = System.nanoTime();
      if (o.shuffle()) shuffle(perm, rng);
      double lossSum = 0;
      counts.correct = 0;
      counts.judged = 0;
      int step = 0;
      for (int start = 0; start < n; start += b.size) {
        step++;
        int rows = Math.min(b.size, n - start);
        Tensor x = rows == b.size ? b.x : b.xLast, y = rows == b.size ? b.y : b.yLast;
        gather(data.features(), perm, start, rows, x);
        gather(data.targets(), perm, start, rows, y);
        float l = step(model, loss, optimizer, x, y, counts, "fit", epoch, step);
        lossSum += (double) l * rows;
        for (int c = 0; c < callbacks.size(); c++) callbacks.get(c).onBatchEnd(epoch, step, l);
      }
      double acc = loss.hasAccuracy() ? (double) counts.correct / counts.judged : Double.NaN;
      double vl = Double.NaN, va = Double.NaN;
      if (val != null) {
        Evaluation e = evaluate(model, loss, val, vb, counts);
        vl = e.loss();
        va = e.accuracy();
      }
      EpochLog log = new EpochLog(epoch, o.epochs(), step, lossSum / n, acc, vl, va, optimizer.lastLr(), (System.nanoTime() - t0) * 1e-9);
      history.add(log);
      for (int c = 0; c < callbacks.size(); c++) callbacks.get(c).onEpochEnd(log);
    }
    for (int c = 0; c < callbacks.size(); c++) callbacks.get(c).onTrainEnd(history);
    return history;
  }

  /** One training step on a batch already on the model's device; see {@link Sequential#trainOnBatch}. */
  public static float trainOnBatch(Sequential model, Loss loss, Optimizer optimizer, Tensor x, Tensor y) {
    return step(model, loss, optimizer, x, y, null, "trainOnBatch", 0, 0);
  }

  private static float step(Sequential model, Loss loss, Optimizer opt, Tensor x, Tensor y, Counts counts, String where, int epoch, int step) {
    Tensor out = model.forward(x, true);
    float l = loss.forward(out, y);
    if (!Float.isFinite(l)) throw nonFinite(l, where, epoch, step, x);
    if (counts != null && loss.hasAccuracy()) {
      counts.correct += loss.countCorrect(out, y);
      counts.judged += loss.countPredictions(out);
    }
    model.backward(loss.backward());
    opt.step();
    return l;
  }

  private static IllegalStateException nonFinite(float l, String where, int epoch, int step, Tensor x) {
    String at = epoch > 0 ? " at epoch " + epoch + ", step " + step : "";
    return new IllegalStateException(where + ": the loss is " + l + at + " (batch " + x.shapeString()
        + "); the parameters were not updated by this step. Lower the learning rate or clip gradients (clipGlobalNorm)");
  }

  /** Mean loss and accuracy of model on data, in batches of batchSize; see {@link Sequential#evaluate}. */
  public static Evaluation evaluate(Sequential model, Loss loss, Dataset data, int batchSize) {
    Objects.requireNonNull(data, "evaluate: data is null");
    if (batchSize < 1) throw new IllegalArgumentException("evaluate: batchSize must be >= 1, got " + batchSize);
    if (data.size() == 0) throw new IllegalArgumentException("evaluate: data is empty");
    checkData(model, loss, data, "evaluate: data");
    Batches b = new Batches(model.device(), data.size(), batchSize, data.numFeatures(), data.numTargets());
    return evaluate(model, loss, data, b, new Counts());
  }

  private static Evaluation evaluate(Sequential model, Loss loss, Dataset data, Batches b, Counts counts) {
    int n = data.size();
    double lossSum = 0;
    counts.correct = 0;
    counts.judged = 0;
    for (int start = 0; start < n; start += b.size) {
      int rows = Math.min(b.size, n - start);
      Tensor x = rows == b.size ? b.x : b.xLast, y = rows == b.size ? b.y : b.yLast;
      copyRows(data.features(), start, rows, x);
      copyRows(data.targets(), start, rows, y);
      Tensor out = model.forward(x, false);
      float l = loss.forward(out, y);
      lossSum += (double) l * rows;
      if (loss.hasAccuracy()) {
        counts.correct += loss.countCorrect(out, y);
        counts.judged += loss.countPredictions(out);
      }
    }
    return new Evaluation(lossSum / n, loss.hasAccuracy() ? (double) counts.correct / counts.judged : Double.NaN, n);
  }

  /** Shape, finiteness and target checks of a data set against the model, before any step. */
  private static void checkData(Sequential model, Loss loss, Dataset data, String what) {
    int[] out = model.outputShape(new int[] {-1, data.numFeatures()});
    data.requireFinite(what);
    loss.checkTargets(data.targets(), out);
  }

  /** Fisher-Yates shuffle with the fit's seeded RNG. */
  static void shuffle(int[] a, SplittableRandom rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
  }

  /** dst row r = src row perm[start + r], one arraycopy per row. */
  static void gather(Tensor src, int[] perm, int start, int rows, Tensor dst) {
    int w = src.dim(1);
    float[] s = src.data(), d = dst.data();
    int so = src.offset(), dOff = dst.offset();
    for (int r = 0; r < rows; r++) System.arraycopy(s, so + perm[start + r] * w, d, dOff + r * w, w);
  }

  /** dst = src rows [start, start + rows), one arraycopy. */
  static void copyRows(Tensor src, int start, int rows, Tensor dst) {
    int w = src.dim(1);
    System.arraycopy(src.data(), src.offset() + start * w, dst.data(), dst.offset(), rows * w);
  }
}
