package dev.jnn.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.Tolerances;
import dev.jnn.data.Dataset;
import dev.jnn.tensor.Device;
import dev.jnn.train.FitOptions;
import dev.jnn.train.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DistributedDataParallel over real processes and Gloo (two child JVMs, {@link DdpWorker}):
 * equivalence with one process at twice the batch, identical replicas, exact resume, and a rank
 * killed mid-epoch.
 */
class DdpProcessesTest {
  @TempDir Path dir;

  /**
   * 2 processes with per-rank batch 16 train the dense example and the tutorial CNN (320 samples,
   * 20 steps) on the java and cpu devices; every rank ends with bit-identical weights and Adam
   * state, within Tolerances.DDP_RTOL of one process with batch 32 on the same order. Not bit-exact
   * against one process: each rank's gradient is a mean over its 16 rows and the all-reduce
   * averages the two, where one process takes one mean over 32 rows (another summation order).
   */
  @Test
  void twoProcessesTrainToTheWeightsOfOneWithTheGlobalBatch() throws Exception {
    try (DdpRanks r = DdpRanks.start(2, "equivalence", dir, "60")) {
      for (int k = 0; k < 2; k++) assertEquals(0, r.await(k, 120), r.log(k));
    }
    for (Device d : new Device[] {Device.JAVA, Device.CPU}) {
      compare("dense-" + d, DdpWorker.dense(d), DdpWorker.denseData(), Tolerances.DDP_RTOL);
      compare("cnn-sgd-" + d, DdpWorker.cnnSgd(d), DdpWorker.cnnData(), d.equals(Device.JAVA) ? Tolerances.DDP_RTOL : Tolerances.DDP_CNN_RTOL);
      compare("cnn-" + d, DdpWorker.cnn(d), DdpWorker.cnnData(), Tolerances.DDP_CNN_RTOL);
    }
  }

  private void compare(String name, Model single, Dataset data, double rtol) throws Exception {
    single.fit(data, DdpWorker.options(2).build());
    Model r0 = Model.load(dir.resolve(name + "-rank0.safetensors")), r1 = Model.load(dir.resolve(name + "-rank1.safetensors"));
    DdpChecks.assertBitIdentical(DdpChecks.weights(r0), DdpChecks.weights(r1), name + ": weights of rank 0 and rank 1");
    DdpChecks.assertBitIdentical(DdpChecks.optimizerState(r0), DdpChecks.optimizerState(r1), name + ": Adam state of rank 0 and rank 1");
    assertEquals(20, r0.optimizer().steps(), name);
    DdpChecks.assertClose(DdpChecks.weights(single), DdpChecks.weights(r0), name + " weights after 20 steps", rtol);
    DdpChecks.assertClose(DdpChecks.optimizerState(single), DdpChecks.optimizerState(r0), name + " optimizer state after 20 steps", rtol);
  }

  /**
   * Same world size: 2 epochs, a checkpoint, 2 more from it gives the bits of 4 uninterrupted
   * epochs. Another world size: the 2-process checkpoint continued by one process with the same
   * global batch gives the uninterrupted 2-process result within DDP_RTOL (same samples per step,
   * another summation order).
   */
  @Test
  void resumeIsExactWithTheSameWorldSizeAndCloseWithAnother() throws Exception {
    try (DdpRanks r = DdpRanks.start(2, "resume", dir, "60")) {
      for (int k = 0; k < 2; k++) assertEquals(0, r.await(k, 120), r.log(k));
    }
    Function<String, Map<String, float[]>> w = f -> {
      try {
        return DdpChecks.weights(Model.load(dir.resolve(f)));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    };
    DdpChecks.assertBitIdentical(w.apply("uninterrupted-rank0.safetensors"), w.apply("resumed-rank0.safetensors"), "resumed at epoch 2 vs uninterrupted");
    DdpChecks.assertBitIdentical(w.apply("uninterrupted-rank0.safetensors"), w.apply("resumed-rank1.safetensors"), "rank 1 resumed vs rank 0 uninterrupted");
    Model one = Model.load(dir.resolve("after2.safetensors")).to(Device.CPU);   // one process continues the 2-process run
    assertEquals(32, one.trainingProgress().batchSize(), "the checkpoint records the global batch");
    one.fit(DdpWorker.denseData(), FitOptions.builder().epochs(4).resume(one).build());
    Model two = Model.load(dir.resolve("uninterrupted-rank0.safetensors"));
    DdpChecks.assertClose(DdpChecks.weights(two), DdpChecks.weights(one), "2 processes resumed by 1");
    DdpChecks.assertClose(DdpChecks.optimizerState(two), DdpChecks.optimizerState(one), "2 processes resumed by 1 (Adam state)");
  }

  /** Rank 1 killed mid-training: rank 0 fails within the timeout naming rank 1, and the last checkpoint loads. */
  @Test
  void aKilledRankMakesTheOtherFailNamingItAndTheCheckpointStaysIntact() throws Exception {
    try (DdpRanks r = DdpRanks.start(2, "fault", dir, "20")) {
      Path epochs = dir.resolve("epoch-rank0");
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (!(Files.exists(epochs) && Integer.parseInt(Files.readString(epochs).trim()) >= 2) && System.nanoTime() < deadline) Thread.sleep(50);
      assertTrue(Files.exists(epochs), "rank 0 never finished an epoch:\n" + r.log(0) + "\n" + r.log(1));
      Thread.sleep(137);   // somewhere inside an epoch
      r.processes.get(1).destroyForcibly();
      long t0 = System.nanoTime();
      int status = r.await(0, 40);
      double seconds = (System.nanoTime() - t0) * 1e-9;
      assertNotEquals(-1, status, "rank 0 still runs 40 s after rank 1 died:\n" + r.log(0));
      assertNotEquals(0, status, r.log(0));
      assertTrue(r.err(0).contains("rank 1"), "rank 0's error does not name rank 1:\n" + r.log(0));
      System.out.printf(java.util.Locale.ROOT, "rank 0 exited with status %d %.1f s after rank 1 was killed: %s%n", status, seconds, r.err(0).strip());
    }
    Model m = Model.load(dir.resolve("fault.safetensors"));
    assertTrue(m.trainingProgress().epochsDone() >= 1, "checkpoint progress " + m.trainingProgress());
  }
}
