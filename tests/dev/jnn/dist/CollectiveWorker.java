package dev.jnn.dist;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.time.Duration;

/**
 * One rank of the multi-process collective tests (started by {@link CollectiveProcesses}, reads
 * torchrun's variables). Checks every result against the arithmetic done here and exits non-zero
 * with a message on the first mismatch; a {@link DistributedException} prints "DistributedException:
 * message" and the time it took, and exits 3.
 *
 * <p>Element i of rank r's input is {@code r * 1000 + i % 97}: small integers, so sums and the
 * averages of 2 and 3 ranks are exact in float32.
 *
 * <p>Scenarios (first argument):
 * <ul>
 *   <li>{@code collectives}: on java and cpu, for sizes 1, 1001 and 3 MiB of floats (views at a
 *       non-zero offset): allReduce SUM and AVG, broadcast from the last rank, allGather, barrier;
 *   <li>{@code rendezvous}: only init (the test leaves a rank out);
 *   <li>{@code die RANK}: one allReduce, then rank RANK halts (as if killed) while the others
 *       start a second one;
 *   <li>{@code hang RANK}: one allReduce, then rank RANK sleeps past the collective timeout instead
 *       of joining the second.
 * </ul>
 */
public final class CollectiveWorker {
  static final int[] SIZES = {1, 1001, 3 * 1024 * 1024 / 4};

  public static void main(String[] args) {
    long t0 = System.nanoTime();
    DistEnv env = DistEnv.fromEnvironment();
    String scenario = args.length > 0 ? args[0] : "collectives";
    try {
      switch (scenario) {
        case "collectives" -> collectives(env);
        case "rendezvous" -> {
          try (ProcessGroup pg = ProcessGroups.init(env, Device.CPU)) {
            System.out.println("rank " + env.rank() + ": joined " + pg);
          }
        }
        case "die", "hang" -> fault(env, scenario, Integer.parseInt(args[1]));
        default -> fail("unknown scenario " + scenario);
      }
      System.out.println("rank " + env.rank() + ": ok in " + ms(t0) + " ms");
      System.exit(0);
    } catch (DistributedException e) {
      System.out.println("DistributedException: " + e.getMessage());
      System.out.println("after " + ms(t0) + " ms");
      System.out.flush();
      System.exit(3);
    } catch (Throwable e) {
      e.printStackTrace(System.out);
      System.exit(2);
    }
  }

  private static void collectives(DistEnv env) {
    int w = env.worldSize(), r = env.rank();
    for (Device d : new Device[] {Device.JAVA, Device.CPU}) {
      try (ProcessGroup pg = ProcessGroups.init(env, d)) {
        check(pg.backend().equals("gloo"), "backend " + pg.backend());
        check(pg.rank() == r && pg.worldSize() == w, "group says rank " + pg.rank() + " of " + pg.worldSize());
        for (int n : SIZES) {
          // allReduce SUM, twice on the same size (the scratch is reused)
          for (int rep = 0; rep < 2; rep++) {
            Tensor t = input(d, r, n, 3);
            pg.allReduce(t, ProcessGroup.ReduceOp.SUM);
            for (int i = 0; i < n; i++) expect(t, i, 1000f * w * (w - 1) / 2 + w * (i % 97), d, "allReduce SUM", n);
            checkGuards(t, 3, d, "allReduce SUM", n);
          }
          Tensor t = input(d, r, n, 0);
          pg.allReduce(t, ProcessGroup.ReduceOp.AVG);
          for (int i = 0; i < n; i++) expect(t, i, (1000f * w * (w - 1) / 2 + w * (i % 97)) / w, d, "allReduce AVG", n);
          // broadcast from the last rank (non-zero)
          int root = w - 1;
          Tensor b = input(d, r, n, 5);
          pg.broadcast(b, root);
          for (int i = 0; i < n; i++) expect(b, i, root * 1000f + i % 97, d, "broadcast root " + root, n);
          checkGuards(b, 5, d, "broadcast", n);
          // allGather into a view at an offset
          Tensor in = input(d, r, n, 2);
          float[] outArr = new float[w * n + 7];
          Tensor out = Tensor.wrap(d, outArr, 7, w * n);
          pg.allGather(in, out);
          for (int q = 0; q < w; q++)
            for (int i = 0; i < n; i++) {
              float want = q * 1000f + i % 97, got = outArr[7 + q * n + i];
              if (got != want) fail(d + " allGather n=" + n + ": out[" + (q * n + i) + "] (rank " + q + "'s element " + i + ") = " + got + ", expected " + want);
            }
          pg.barrier();
        }
        System.out.println("rank " + r + ": " + d + " collectives ok for sizes 1, 1001, " + SIZES[2]);
      }
    }
  }

  private static void fault(DistEnv env, String how, int victim) throws InterruptedException {
    try (ProcessGroup pg = ProcessGroups.init(env, Device.CPU)) {
      Tensor t = input(Device.CPU, env.rank(), 1001, 0);
      pg.allReduce(t, ProcessGroup.ReduceOp.SUM);
      System.out.println("rank " + env.rank() + ": first allReduce ok");
      System.out.flush();
      if (env.rank() == victim) {
        if (how.equals("die")) Runtime.getRuntime().halt(9);  // no shutdown hook, no goodbye: as a kill
        // hang: outlive the others' collective timeout, then go without leaving the group
        Thread.sleep(ProcessGroups.Options.defaults().timeout().toMillis() + 2_000);
        Runtime.getRuntime().halt(0);
      }
      long t0 = System.nanoTime();
      try {
        pg.allReduce(t, ProcessGroup.ReduceOp.SUM);
      } finally {
        System.out.println("second allReduce returned after " + ms(t0) + " ms");
      }
      fail("the second allReduce succeeded although rank " + victim + " did not join it");
    }
  }

  /** An n-element tensor at offset {@code off} of an array whose other elements are -7 (guards). */
  private static Tensor input(Device d, int r, int n, int off) {
    float[] a = new float[off + n + 3];
    java.util.Arrays.fill(a, -7f);
    for (int i = 0; i < n; i++) a[off + i] = r * 1000f + i % 97;
    return Tensor.wrap(d, a, off, n);
  }

  private static void checkGuards(Tensor t, int off, Device d, String op, int n) {
    float[] a = t.data();
    for (int i = 0; i < a.length; i++)
      if ((i < off || i >= off + n) && a[i] != -7f) fail(d + " " + op + " n=" + n + " wrote outside the tensor: array[" + i + "] = " + a[i]);
  }

  private static void expect(Tensor t, int i, float want, Device d, String op, int n) {
    float got = t.data()[t.offset() + i];
    if (got != want) fail(d + " " + op + " n=" + n + ": element " + i + " = " + got + ", expected " + want);
  }

  private static void check(boolean ok, String what) {
    if (!ok) fail(what);
  }

  private static void fail(String message) {
    System.out.println("MISMATCH: " + message);
    System.out.flush();
    System.exit(1);
  }

  private static long ms(long t0) {
    return Duration.ofNanos(System.nanoTime() - t0).toMillis();
  }
}
