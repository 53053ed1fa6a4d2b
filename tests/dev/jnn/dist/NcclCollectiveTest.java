package dev.jnn.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jnn.backend.Backends;
import dev.jnn.backend.cuda.CudaRuntime;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * NCCL collectives on CUDA tensors. Needs a GPU and libnccl.so.2: skips with the CUDA probe's or
 * the NCCL status's reason otherwise, never passes silently. NCCL puts one rank per GPU (two ranks
 * of a communicator on one device are refused), so the two-rank case (two threads of this JVM)
 * needs two GPUs; on one GPU, an NCCL communicator of one rank still runs every binding call
 * (unique id through the store, init, each collective on the stream, the polled wait, destroy).
 */
class NcclCollectiveTest {
  private static void assumeNccl(int gpus) {
    CudaRuntime.Probe p = CudaRuntime.probe();
    Assumptions.assumeTrue(p.available(), () -> "no CUDA device: " + p.reason());
    CollectiveLibs.Status s = CollectiveLibs.nccl();
    Assumptions.assumeTrue(s.loaded(), () -> "NCCL not loaded: " + s.detail());
    Assumptions.assumeTrue(p.deviceCount() >= gpus, () -> "needs " + gpus + " GPUs, " + p.deviceCount() + " visible");
  }

  @Test
  void twoRanksOnTwoGpus() throws Exception {
    assumeNccl(2);
    int port = CollectiveProcesses.freePort();
    ProcessGroups.Options o = ProcessGroups.Options.defaults(java.util.Map.of()).toBuilder().timeouts(Duration.ofSeconds(30)).build();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        DistEnv env = DistEnv.local(r, 2, port);
        Device d = Device.cuda(r);
        fs.add(pool.submit(() -> {
          try (ProcessGroup pg = ProcessGroups.init(env, d, o)) {
            assertEquals("nccl", pg.backend());
            int n = 1001;
            float[] h = new float[n];
            for (int i = 0; i < n; i++) h[i] = env.rank() * 1000f + i % 97;
            try (Tensor t = Tensor.of(Device.JAVA, h, n).to(d); Tensor out = Tensor.zeros(d, 2 * n)) {
              pg.allGather(t, out);
              float[] g = out.toArray();
              for (int q = 0; q < 2; q++) for (int i = 0; i < n; i++) assertEquals(q * 1000f + i % 97, g[q * n + i]);
              pg.allReduce(t, ProcessGroup.ReduceOp.SUM);
              float[] s = t.toArray();
              for (int i = 0; i < n; i++) assertEquals(1000f + 2 * (i % 97), s[i]);
              pg.broadcast(t, 1);
              pg.allReduce(t, ProcessGroup.ReduceOp.AVG);
              assertArrayEquals(s, t.toArray());
              pg.barrier();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : fs) f.get(120, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anNcclCommunicatorOfOneRank() {
    assumeNccl(1);
    Device d = Device.cuda(0);
    ProcessGroups.Options o = ProcessGroups.Options.defaults(java.util.Map.of()).toBuilder().timeouts(Duration.ofSeconds(30)).build();
    try (TcpStore store = TcpStore.serveLocal(0);
         ProcessGroup pg = NcclProcessGroup.connect(store, false, "nccl-test/", DistEnv.single(), d, o);
         Tensor t = Tensor.of(Device.JAVA, new float[] {1, 2, 3}, 3).to(d);
         Tensor out = Tensor.zeros(d, 3)) {
      assertEquals("nccl", pg.backend());
      pg.allReduce(t, ProcessGroup.ReduceOp.SUM);
      assertArrayEquals(new float[] {1, 2, 3}, t.toArray());
      pg.allReduce(t, ProcessGroup.ReduceOp.AVG);
      pg.broadcast(t, 0);
      pg.allGather(t, out);
      assertArrayEquals(new float[] {1, 2, 3}, out.toArray());
      pg.barrier();
    }
  }

  @Test
  void aWorldOfOneOnTheGpu() {
    CudaRuntime.Probe p = CudaRuntime.probe();
    Assumptions.assumeTrue(p.available(), () -> "no CUDA device: " + p.reason());
    Device d = Device.cuda(0);
    try (ProcessGroup pg = ProcessGroups.init(DistEnv.single(), d); Tensor t = Tensor.of(Device.JAVA, new float[] {1, 2}, 2).to(d)) {
      pg.allReduce(t, ProcessGroup.ReduceOp.SUM);
      assertArrayEquals(new float[] {1, 2}, t.toArray());
      Backends.get(d).synchronize();
    }
  }
}
