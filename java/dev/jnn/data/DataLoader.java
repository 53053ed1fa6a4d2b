package dev.jnn.data;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Batches of a {@link Dataset}: seeded shuffling per epoch, fixed batch size with the last,
 * partial batch kept, optional normalization of the features, and optional background prefetch.
 *
 * <pre>{@code
 * DataLoader loader = DataLoader.builder(train).batchSize(64).seed(7).prefetch(2)
 *     .normalize(FashionMnist.MEAN, FashionMnist.STD).device(Device.CPU).build();
 * try (DataLoader.Cursor c = loader.open(1, 10)) {          // epochs 1..10
 *   for (int epoch = 1; epoch <= 10; epoch++)
 *     for (DataLoader.Batch b; (b = c.next()) != null; )    // null: end of the epoch
 *       model.trainOnBatch(b.x(), b.y());                    // b is valid until the next c.next()
 * }
 * model.fit(loader, FitOptions.builder().epochs(10).build()); // or let fit drive it
 * }</pre>
 *
 * <p><b>Order.</b> Epoch e (1-based) visits the samples in the order of a permutation obtained
 * from the identity by e successive Fisher-Yates shuffles drawn from one
 * {@code SplittableRandom(seed)} (the order {@code fit} has always used). A cursor opened at epoch
 * e replays the e - 1 earlier shuffles (O(n) each, no data touched), so resuming at an epoch gives
 * exactly the batches an uninterrupted run would have seen. Without shuffling every epoch is in
 * data set order.
 *
 * <p><b>Prefetch.</b> With {@code prefetch(k)}, k >= 1, one producer thread fills batches into a
 * ring of k + 1 reusable batch buffers while the consumer trains on the batch it holds: the
 * consumer finds the next batch ready whenever producing a batch is faster than a training step,
 * and crosses epoch boundaries (and validation) without a pause, since the producer runs ahead
 * into the next epoch. Buffers travel between the threads through two bounded array queues, so
 * the steady state allocates nothing (a queue only allocates a wait node when a thread actually
 * has to block). With {@code prefetch(0)} (the default) batches are filled on the calling thread,
 * into one reusable buffer. A batch belongs to the consumer until its next call of
 * {@link Cursor#next()}; an exception in the producer is rethrown by {@code next()}.
 *
 * <p><b>Sampler.</b> With {@code sampler(s)} an epoch visits {@code s.size(n)} samples that the
 * sampler selects from the epoch's order above (data-parallel training gives each process its
 * share this way: {@code dev.jnn.dist.DistributedSampler}); batches, prefetch and resume work on
 * that sequence as on the whole data set.
 *
 * <p>Batch tensors are host tensors tagged with the loader's device (the java or cpu devices
 * share host memory). Not thread-safe: one consumer per cursor.
 */
public final class DataLoader {
  private final Dataset data;
  private final int batchSize;
  private final boolean shuffle;
  private final long seed;
  private final int prefetch;
  private final Device device;
  private final boolean normalize;
  private final float mean, std;
  private final Sampler sampler;   // null: every sample, in the epoch's order

  private DataLoader(Builder b) {
    this.data = b.data;
    this.batchSize = b.batchSize;
    this.shuffle = b.shuffle;
    this.seed = b.seed;
    this.prefetch = b.prefetch;
    this.device = b.device;
    this.normalize = b.normalize;
    this.mean = b.mean;
    this.std = b.std;
    this.sampler = b.sampler;
  }

  public static Builder builder(Dataset data) { return new Builder(data); }

  public Dataset dataset() { return data; }
  /** Rows per batch (the last batch of an epoch may be smaller). */
  public int batchSize() { return batchSize; }
  public boolean shuffle() { return shuffle; }
  public long seed() { return seed; }
  public int prefetch() { return prefetch; }
  public Device device() { return device; }
  /** The sampler that selects each epoch's samples, or null (all of them). */
  public Sampler sampler() { return sampler; }
  /** Number of samples of an epoch (the sampler's share, with a sampler). */
  public int size() { return sampler == null || data.size() == 0 ? data.size() : sampler.size(data.size()); }
  /**
   * Samples per optimizer step over all the loaders that share the epoch's order: the batch size
   * times the sampler's {@link Sampler#replicas() replicas} (the batch size without a sampler).
   */
  public int globalBatchSize() { return batchSize * (sampler == null ? 1 : sampler.replicas()); }
  /** Batches per epoch, the last partial one included. */
  public int batchesPerEpoch() { return (size() + batchSize - 1) / batchSize; }

  /** A builder with the same settings (to change one, e.g. the device). */
  public Builder toBuilder() {
    Builder b = new Builder(data).batchSize(batchSize).shuffle(shuffle).seed(seed).prefetch(prefetch).device(device).sampler(sampler);
    if (normalize) b.normalize(mean, std);
    return b;
  }

  /** A cursor over epochs {@code firstEpoch} to {@code lastEpoch} (1-based, inclusive). */
  public Cursor open(int firstEpoch, int lastEpoch) {
    if (firstEpoch < 1 || lastEpoch < firstEpoch)
      throw new IllegalArgumentException("DataLoader.open: epochs [" + firstEpoch + ", " + lastEpoch + "] must satisfy 1 <= first <= last");
    if (data.size() == 0) throw new IllegalStateException("DataLoader: the data set is empty");
    return new Cursor(this, firstEpoch, lastEpoch);
  }

  /** A cursor over one epoch. */
  public Cursor open(int epoch) { return open(epoch, epoch); }

  /** Sample indices of an epoch in the order the loader visits them (a new array; for tests and tools). */
  public int[] order(int epoch) {
    if (epoch < 1) throw new IllegalArgumentException("DataLoader.order: epoch must be >= 1, got " + epoch);
    Order o = new Order(this);
    o.advanceTo(epoch);
    return o.visit.clone();
  }

  /** One batch: features (rows, ...) and targets (rows, t) on the loader's device. */
  public static final class Batch {
    private final Tensor xFull, yFull, xPart, yPart;
    private final Tensor[] xsFull, xsPart, xs;   // one per input (index 0: x)
    private Tensor x, y;
    private int epoch, index, rows, start;

    Batch(DataLoader l) {
      int[] fs = l.data.featureShape();
      int b = Math.min(l.batchSize, l.size());
      xFull = Tensor.zeros(l.device, prepend(b, fs));
      yFull = Tensor.zeros(l.device, b, l.data.numTargets());
      int rem = l.size() % b;
      xPart = rem == 0 ? null : xFull.view(0, prepend(rem, fs));
      yPart = rem == 0 ? null : yFull.view(0, rem, l.data.numTargets());
      int k = l.data.numInputs();
      xsFull = new Tensor[k];
      xsPart = new Tensor[k];
      xs = new Tensor[k];
      xsFull[0] = xFull;
      xsPart[0] = xPart;
      for (int i = 1; i < k; i++) {
        int[] s = l.data.inputShape(i);
        xsFull[i] = Tensor.zeros(l.device, prepend(b, s));
        xsPart[i] = rem == 0 ? null : xsFull[i].view(0, prepend(rem, s));
      }
    }

    private Batch() {
      xFull = yFull = xPart = yPart = null;
      xsFull = xsPart = xs = null;
    }

    /** Features (rows, feature shape...); the first input's of a multi-input data set. */
    public Tensor x() { return x; }
    /** The features of every input, in the data set's order (an array the batch owns: do not modify). */
    public Tensor[] xs() { return xs; }
    /** Targets (rows, t). */
    public Tensor y() { return y; }
    /** Rows in this batch. */
    public int size() { return rows; }
    /** 1-based epoch. */
    public int epoch() { return epoch; }
    /** 1-based index of the batch within its epoch (the step number). */
    public int index() { return index; }
    /** Position of the batch's first sample in the epoch's order. */
    public int start() { return start; }

    @Override public String toString() { return "Batch(epoch " + epoch + ", #" + index + ", " + rows + " rows)"; }
  }

  private static int[] prepend(int n, int[] s) {
    int[] r = new int[s.length + 1];
    r[0] = n;
    System.arraycopy(s, 0, r, 1, s.length);
    return r;
  }

  /**
   * The shuffling state: a permutation advanced one shuffle per epoch from one RNG, and the
   * samples the epoch visits (the permutation itself, or the sampler's selection from it).
   */
  private static final class Order {
    final int[] perm, visit;
    final SplittableRandom rng;
    final boolean shuffle;
    final Sampler sampler;
    int epoch;  // the epoch perm is the order of (0: none yet)

    Order(DataLoader l) {
      perm = new int[l.data.size()];
      for (int i = 0; i < perm.length; i++) perm[i] = i;
      rng = new SplittableRandom(l.seed);
      shuffle = l.shuffle;
      sampler = l.sampler;
      visit = sampler == null ? perm : new int[l.size()];
    }

    void advanceTo(int e) {
      if (epoch >= e) return;
      while (epoch < e) {
        if (shuffle) shuffle(perm, rng);
        epoch++;
      }
      if (sampler != null) sampler.select(perm, visit);
    }
  }

  /** Fisher-Yates shuffle (the same draws as fit has always made). */
  static void shuffle(int[] a, SplittableRandom rng) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
  }

  /** Fills b with batch number index (1-based) of the epoch held by order. */
  private void fill(Batch b, Order order, int index) {
    int n = order.visit.length, full = b.xFull.dim(0);
    int start = (index - 1) * full, rows = Math.min(full, n - start);
    b.x = rows == full ? b.xFull : b.xPart;
    b.y = rows == full ? b.yFull : b.yPart;
    gather(data.features(), order.visit, start, rows, b.x);
    gather(data.targets(), order.visit, start, rows, b.y);
    b.xs[0] = b.x;
    for (int i = 1; i < b.xs.length; i++) {
      b.xs[i] = rows == full ? b.xsFull[i] : b.xsPart[i];
      gather(data.input(i), order.visit, start, rows, b.xs[i]);
    }
    if (normalize) {
      float[] d = b.x.data();
      for (int i = b.x.offset(), e = i + b.x.size(); i < e; i++) d[i] = (d[i] - mean) / std;
    }
    b.epoch = order.epoch;
    b.index = index;
    b.rows = rows;
    b.start = start;
  }

  /** dst row r = src row perm[start + r], one arraycopy per row. */
  static void gather(Tensor src, int[] perm, int start, int rows, Tensor dst) {
    int w = src.dim(0) == 0 ? 0 : src.size() / src.dim(0);
    float[] s = src.data(), d = dst.data();
    int so = src.offset(), dOff = dst.offset();
    for (int r = 0; r < rows; r++) System.arraycopy(s, so + perm[start + r] * w, d, dOff + r * w, w);
  }

  /**
   * Iterates over the batches of a range of epochs: {@link #next()} returns the epoch's batches in
   * order, then null once at the end of each epoch, then the next epoch's batches. Close it (it
   * stops the producer thread).
   */
  public static final class Cursor implements AutoCloseable {
    private static final Batch END = new Batch();
    private final DataLoader loader;
    private final int firstEpoch, lastEpoch, perEpoch;
    // synchronous mode
    private final Batch single;
    private final Order order;
    private int epoch, index;
    // prefetch mode
    private final ArrayBlockingQueue<Batch> free, ready;
    private final Thread producer;
    private volatile Throwable failure;
    private Batch held;
    private boolean closed;

    Cursor(DataLoader l, int firstEpoch, int lastEpoch) {
      this.loader = l;
      this.firstEpoch = firstEpoch;
      this.lastEpoch = lastEpoch;
      this.perEpoch = l.batchesPerEpoch();
      this.order = new Order(l);
      order.advanceTo(firstEpoch);
      this.epoch = firstEpoch;
      if (l.prefetch == 0) {
        single = new Batch(l);
        free = ready = null;
        producer = null;
      } else {
        single = null;
        int ring = l.prefetch + 1;
        free = new ArrayBlockingQueue<>(ring);
        ready = new ArrayBlockingQueue<>(2 * ring + 2);  // batches plus at most one end marker per batch
        for (int i = 0; i < ring; i++) free.add(new Batch(l));
        producer = new Thread(this::produce, "jnn-data-prefetch");
        producer.setDaemon(true);
        producer.start();
      }
    }

    /** The next batch of the current epoch, or null at the end of an epoch; throws past the last epoch. */
    public Batch next() {
      if (closed) throw new IllegalStateException("DataLoader.Cursor: closed");
      if (producer == null) return nextSync();
      if (held != null) {
        free.add(held);  // never blocks: the ring has room for every buffer
        held = null;
      }
      if (epoch > lastEpoch) throw new IllegalStateException("DataLoader.Cursor: past the last epoch " + lastEpoch);
      Batch b = ready.poll();
      if (b == null) {
        try {
          b = ready.take();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("DataLoader.Cursor: interrupted while waiting for a batch", e);
        }
      }
      if (b == END) {
        if (failure != null) throw new IllegalStateException("DataLoader: the prefetch thread failed: " + failure, failure);
        epoch++;
        return null;
      }
      held = b;
      return b;
    }

    private Batch nextSync() {
      if (epoch > lastEpoch) throw new IllegalStateException("DataLoader.Cursor: past the last epoch " + lastEpoch);
      if (index == perEpoch) {
        index = 0;
        epoch++;
        if (epoch <= lastEpoch) order.advanceTo(epoch);
        return null;
      }
      loader.fill(single, order, ++index);
      return single;
    }

    private void produce() {
      try {
        for (int e = firstEpoch; e <= lastEpoch; e++) {
          order.advanceTo(e);
          for (int i = 1; i <= perEpoch; i++) {
            Batch b = free.take();
            loader.fill(b, order, i);
            ready.put(b);
          }
          ready.put(END);
        }
      } catch (InterruptedException e) {
        // closed
      } catch (Throwable t) {
        failure = t;
        ready.offer(END);
      }
    }

    /** Batches (and end-of-epoch marks) filled and waiting for the consumer (0 without prefetch); for tests and monitoring. */
    int readyCount() { return ready == null ? 0 : ready.size(); }

    /** Stops the producer thread (waits for it); idempotent. */
    @Override
    public void close() {
      if (closed) return;
      closed = true;
      if (producer != null) {
        producer.interrupt();
        try {
          producer.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  public static final class Builder {
    private final Dataset data;
    private int batchSize = 32;
    private boolean shuffle = true;
    private long seed;
    private int prefetch;
    private Device device = Device.JAVA;
    private boolean normalize;
    private float mean, std = 1f;
    private Sampler sampler;

    Builder(Dataset data) { this.data = Objects.requireNonNull(data, "DataLoader: data set is null"); }

    public Builder batchSize(int b) {
      if (b < 1) throw new IllegalArgumentException("DataLoader: batchSize must be >= 1, got " + b);
      batchSize = b;
      return this;
    }

    /** Shuffle every epoch (default true). */
    public Builder shuffle(boolean s) { shuffle = s; return this; }
    /** Seed of the shuffling RNG (default 0). */
    public Builder seed(long s) { seed = s; return this; }

    /** Batches prepared ahead by a background thread (0, the default: none, batches are filled on the caller's thread). */
    public Builder prefetch(int k) {
      if (k < 0 || k > 64) throw new IllegalArgumentException("DataLoader: prefetch must be in [0, 64], got " + k);
      prefetch = k;
      return this;
    }

    /** Device of the batch tensors (a host device; default java). */
    public Builder device(Device d) {
      Objects.requireNonNull(d, "DataLoader: device is null");
      if (!d.isHost()) throw new IllegalArgumentException("DataLoader: batches are host tensors; device " + d + " is not a host device");
      device = d;
      return this;
    }

    /** Features become {@code (x - mean) / std} in every batch (the data set is not changed). */
    public Builder normalize(float mean, float std) {
      if (!Float.isFinite(mean) || !(std > 0) || !Float.isFinite(std))
        throw new IllegalArgumentException("DataLoader: normalize needs a finite mean and a finite std > 0, got " + mean + ", " + std);
      this.normalize = true;
      this.mean = mean;
      this.std = std;
      return this;
    }

    /** {@code normalize(0.2860, 0.3530)}: mean and std as doubles (stored as floats). */
    public Builder normalize(double mean, double std) { return normalize((float) mean, (float) std); }

    /**
     * Each epoch visits the samples the sampler selects from the epoch's order (null, the default:
     * all of them); see {@link Sampler}.
     */
    public Builder sampler(Sampler s) { sampler = s; return this; }

    public DataLoader build() {
      if (sampler != null && data.size() > 0 && sampler.size(data.size()) < 1)
        throw new IllegalArgumentException("DataLoader: the sampler selects " + sampler.size(data.size()) + " of " + data.size() + " samples; it must select at least 1");
      return new DataLoader(this);
    }
  }
}
