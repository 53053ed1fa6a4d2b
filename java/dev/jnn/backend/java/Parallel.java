package dev.jnn.backend.java;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * The thread pool of the Java backend: a dedicated {@link ForkJoinPool} of daemon threads.
 *
 * <p>A parallel call splits its work into at most {@link #threads()} tasks, runs the first one on
 * the calling thread and the others on the pool, then waits for them. ForkJoin (rather than a
 * fixed pool) makes nested calls safe: a pool thread that waits helps run queued tasks instead of
 * deadlocking. Small inputs stay on the calling thread: waking a worker costs a few
 * microseconds, more than a small kernel takes.
 *
 * <p>The thread count is {@code availableProcessors()}, or the system property
 * {@code jnn.java.threads} when set (1 turns parallelism off).
 */
final class Parallel {
  private Parallel() {}

  private static final int THREADS = threadCount();
  /** Workers besides the caller; null when single-threaded. */
  private static final ForkJoinPool POOL = THREADS > 1 ? new ForkJoinPool(THREADS - 1, Parallel::newWorker, null, false) : null;

  private static int threadCount() {
    int n = Runtime.getRuntime().availableProcessors();
    String p = System.getProperty("jnn.java.threads");
    if (p != null && !p.isBlank()) {
      try {
        n = Integer.parseInt(p.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("jnn.java.threads must be an integer, got '" + p + "'", e);
      }
    }
    return Math.max(1, n);
  }

  private static ForkJoinWorkerThread newWorker(ForkJoinPool pool) {
    ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
    t.setName("jnn-java-" + t.getPoolIndex());
    t.setDaemon(true);
    return t;
  }

  /** Number of threads a parallel call may use (the caller included). */
  static int threads() { return THREADS; }

  /** A task over a half-open index range {@code [lo, hi)}. */
  @FunctionalInterface
  interface RangeBody { void run(int lo, int hi); }

  /** A task numbered {@code 0 <= t < tasks}. */
  @FunctionalInterface
  interface TaskBody { void run(int t); }

  /**
   * Runs {@code body} over {@code [0, n)} split into contiguous chunks of at least {@code grain}
   * indices (one chunk, on the caller, when n < 2 * grain).
   */
  static void forRange(int n, int grain, RangeBody body) {
    int tasks = Math.min(THREADS, n / Math.max(1, grain));
    if (tasks <= 1) {
      if (n > 0) body.run(0, n);
      return;
    }
    forTasks(tasks, t -> body.run((int) ((long) n * t / tasks), (int) ((long) n * (t + 1) / tasks)));
  }

  /** Runs tasks {@code 0 .. tasks-1}, task 0 on the calling thread, and waits for all of them. */
  static void forTasks(int tasks, TaskBody body) {
    if (tasks <= 1 || POOL == null) {
      for (int t = 0; t < tasks; t++) body.run(t);
      return;
    }
    ForkJoinTask<?>[] forked = new ForkJoinTask<?>[tasks - 1];
    for (int t = 1; t < tasks; t++) {
      final int task = t;
      forked[t - 1] = POOL.submit(() -> body.run(task));
    }
    Throwable failure = null;
    try {
      body.run(0);
    } catch (Throwable e) {
      failure = e;
    }
    for (ForkJoinTask<?> f : forked) {
      try {
        f.join();
      } catch (Throwable e) {
        if (failure == null) failure = e; else failure.addSuppressed(e);
      }
    }
    if (failure instanceof RuntimeException) throw (RuntimeException) failure;
    if (failure instanceof Error) throw (Error) failure;
    if (failure != null) throw new RuntimeException(failure);
  }
}
