package dev.jnn.dist;

import dev.jnn.data.Dataset;
import dev.jnn.loss.BceLoss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.optim.Adam;
import dev.jnn.optim.Sgd;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.CnnExample;
import dev.jnn.train.DenseExample;
import dev.jnn.train.FitOptions;
import dev.jnn.train.Model;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * One rank of the multi-process DDP tests ({@link DdpProcessesTest}, {@link LaunchCommandTest}):
 * {@code DdpWorker SCENARIO DIR}, started with torchrun's environment. Reads its place in the job
 * with {@link DistEnv#fromEnvironment()}, joins a Gloo group and writes what it trained into DIR as
 * jnn checkpoints ({@code NAME-rankR.safetensors}), which the test compares. Exits 3 with one line
 * on stderr when the job fails.
 */
public final class DdpWorker {
  private DdpWorker() {}

  static final int GLOBAL_BATCH = 32, SAMPLES = 320;   // 10 steps per epoch

  static Model dense(Device d) {
    return DenseExample.model(5).to(d).compile(new BceLoss(), Adam.builder().lr(1e-3).build());
  }

  static Model cnn(Device d) {
    return CnnExample.fashionMnistCnn(5).to(d).compile(new SoftmaxCrossEntropyLoss(), Adam.builder().lr(1e-3).build());
  }

  /** The tutorial CNN with SGD (momentum 0.9): the update is linear in the gradient, unlike Adam's g / sqrt(v). */
  static Model cnnSgd(Device d) {
    return CnnExample.fashionMnistCnn(5).to(d).compile(new SoftmaxCrossEntropyLoss(), Sgd.builder().lr(0.01).momentum(0.9).build());
  }

  static Dataset denseData() { return DenseExample.data(3, SAMPLES, 1).train(); }

  /** Seeded noise images (1, 28, 28) whose class is the brightest of 10 horizontal bands: learnable, no files needed. */
  static Dataset cnnData() {
    SplittableRandom rng = new SplittableRandom(8);
    float[] x = new float[SAMPLES * 784];
    int[] y = new int[SAMPLES];
    for (int i = 0; i < SAMPLES; i++) {
      y[i] = rng.nextInt(10);
      for (int p = 0; p < 784; p++) x[i * 784 + p] = (float) rng.nextDouble() + ((p / 28) * 10 / 28 == y[i] ? 0.5f : 0f);
    }
    return Dataset.ofLabels(Tensor.of(x, SAMPLES, 1, 28, 28), y);
  }

  static FitOptions.Builder options(int epochs) { return FitOptions.builder().epochs(epochs).batchSize(GLOBAL_BATCH).seed(9); }

  public static void main(String[] args) throws Exception {
    String scenario = args[0];
    Path dir = Path.of(args[1]);
    DistEnv env = DistEnv.fromEnvironment();
    Path pid = dir.resolve("pid-rank" + env.rank() + ".tmp");
    Files.writeString(pid, Long.toString(ProcessHandle.current().pid()), StandardCharsets.UTF_8);
    Files.move(pid, dir.resolve("pid-rank" + env.rank()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);   // the tests never read half a pid
    try (ProcessGroup g = ProcessGroups.init(env, Device.JAVA)) {
      switch (scenario) {
        case "equivalence" -> equivalence(g, dir);
        case "resume" -> resume(g, dir);
        case "fault" -> fault(g, dir);
        case "fail-rank1" -> failRank1(g);
        case "sleep" -> Thread.sleep(600_000);
        default -> throw new IllegalArgumentException("unknown scenario " + scenario);
      }
    } catch (DistributedException e) {
      System.err.println("rank " + env.rank() + ": " + e.getMessage());
      System.exit(3);
    }
    System.exit(0);
  }

  /** The dense example and the tutorial CNN on java and cpu, 20 steps each; every rank saves its model. */
  static void equivalence(ProcessGroup g, Path dir) throws Exception {
    for (Device d : new Device[] {Device.JAVA, Device.CPU}) {
      train(g, dense(d), denseData(), dir.resolve("dense-" + d + "-rank" + g.rank() + ".safetensors"));
      train(g, cnn(d), cnnData(), dir.resolve("cnn-" + d + "-rank" + g.rank() + ".safetensors"));
      train(g, cnnSgd(d), cnnData(), dir.resolve("cnn-sgd-" + d + "-rank" + g.rank() + ".safetensors"));
    }
  }

  static void train(ProcessGroup g, Model m, Dataset data, Path out) throws Exception {
    try (DistributedDataParallel ddp = DistributedDataParallel.wrap(m, g, DistributedDataParallel.Options.defaults().withBucketCapBytes(64 << 10))) {
      m.fit(data, options(2).build());
    }
    m.save(out);
  }

  /**
   * Exact resume with the same world size: 4 epochs uninterrupted, against 2 epochs, a checkpoint
   * written by rank 0, a fresh model loaded from it on every rank, and epochs 3 and 4.
   */
  static void resume(ProcessGroup g, Path dir) throws Exception {
    Model a = dense(Device.CPU);
    try (DistributedDataParallel ddp = DistributedDataParallel.wrap(a, g)) {
      a.fit(denseData(), options(4).build());
    }
    a.save(dir.resolve("uninterrupted-rank" + g.rank() + ".safetensors"));
    Path ckpt = dir.resolve("after2.safetensors");
    Model b = dense(Device.CPU);
    try (DistributedDataParallel ddp = DistributedDataParallel.wrap(b, g)) {
      b.fit(denseData(), options(2).callback(b.checkpointEvery(1, ckpt)).build());
    }
    g.barrier();   // rank 0 has written the checkpoint
    Model c = Model.load(ckpt).to(Device.CPU);
    try (DistributedDataParallel ddp = DistributedDataParallel.wrap(c, g)) {
      c.fit(denseData(), FitOptions.builder().epochs(4).resume(c).build());
    }
    c.save(dir.resolve("resumed-rank" + g.rank() + ".safetensors"));
  }

  /** Trains for a long time, checkpointing every epoch and announcing it (the test kills rank 1 meanwhile). */
  static void fault(ProcessGroup g, Path dir) throws Exception {
    Model m = dense(Device.JAVA);
    Path ckpt = dir.resolve("fault.safetensors");
    try (DistributedDataParallel ddp = DistributedDataParallel.wrap(m, g)) {
      m.fit(denseData(), options(100_000).callback(m.checkpointEvery(1, ckpt)).callback(log -> {
        try {
          Files.writeString(dir.resolve("epoch-rank" + g.rank()), Integer.toString(log.epoch()), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }).build());
    }
  }

  /** Rank 1 fails after a second; rank 0 waits in a barrier it will never leave (the launcher must stop it). */
  static void failRank1(ProcessGroup g) throws Exception {
    if (g.rank() == 1) {
      Thread.sleep(1000);
      System.err.println("rank 1: failing on purpose");
      System.exit(7);
    }
    Thread.sleep(600_000);
  }
}
