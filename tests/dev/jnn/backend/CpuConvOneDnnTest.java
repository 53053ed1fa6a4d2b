package dev.jnn.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.backend.cpu.CpuBackend;
import dev.jnn.backend.cpu.JnnCpu;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cpu backend's oneDNN convolutions (native/cpu/conv_dnnl.cpp) beyond parity (ConvParityTest):
 * one OpenMP runtime in the process, jnn's thread count governing oneDNN, oneDNN for the tutorial
 * CNN's layers, per-thread plans under concurrent calls, and oneDNN errors as exceptions that name
 * the kernel.
 */
class CpuConvOneDnnTest {
  CpuBackend cpu;

  @BeforeEach
  void cpu() {
    Assumptions.assumeTrue(BackendSource.nativeCpuMandatory(), "the native cpu backend is guaranteed on linux-x86_64 only");
    cpu = (CpuBackend) Backends.get(Device.CPU);
  }

  /** Distinct files mapped into this process whose name starts with prefix (e.g. "libgomp"). */
  static Set<String> mapped(String prefix) throws IOException {
    Set<String> out = new TreeSet<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
      int slash = line.indexOf('/');
      if (slash < 0) continue;
      String file = line.substring(slash);
      if (Path.of(file).getFileName().toString().startsWith(prefix)) out.add(file);
    }
    return out;
  }

  @Test
  void oneOpenMpRuntimeAndOneOneDnnInTheProcess() throws IOException {
    Set<String> gomp = mapped("libgomp"), dnnl = mapped("libdnnl");
    assertEquals(1, gomp.size(), "libgomp mapped from several files (two OpenMP runtimes): " + gomp);
    assertEquals(1, dnnl.size(), "libdnnl mapped from several files: " + dnnl);
    assertTrue(gomp.iterator().next().contains("dev/jnn/backend/cpu"), "the OpenMP runtime is not jnn's bundled libgomp: " + gomp);
  }

  static Conv2dGeometry conv2(int batch) { return Conv2dGeometry.of(batch, 32, 13, 13, 64, 3, 3); }

  static Tensor filled(int seed, int... shape) {
    return Tensor.of(Device.CPU, Inputs.uniform(seed, Tensor.sizeOf(shape), -1, 1), shape);
  }

  float[] forward(Conv2dGeometry g, Tensor x, Tensor w, Tensor b) {
    Tensor y = Tensor.zeros(Device.CPU, g.yShape());
    cpu.conv2dForward(g, x, w, b, y, Tensor.zeros(Device.CPU, (int) cpu.conv2dWorkspaceSize(g)));
    return y.toArray();
  }

  @Test
  void jnnThreadCountGovernsOneDnn() {
    int before = JnnCpu.jnn_num_threads();
    Conv2dGeometry g = conv2(4);
    Tensor x = filled(1, g.xShape()), w = filled(2, g.wShape()), b = filled(3, g.outChannels());
    try {
      cpu.setNumThreads(1);
      float[] y1 = forward(g, x, w, b);
      assertEquals(1, CpuBackend.convLastThreads(), "oneDNN threads after setNumThreads(1)");
      cpu.setNumThreads(2);
      float[] y2 = forward(g, x, w, b);
      assertEquals(2, CpuBackend.convLastThreads(), "oneDNN threads after setNumThreads(2)");
      // a plan per thread count; the direct convolution sums each output in the same order
      assertArrayEquals(y1, y2, "forward with 1 and 2 threads");
    } finally {
      cpu.setNumThreads(before);
    }
  }

  @Test
  void tutorialLayersRunOnOneDnnNotItsReferenceKernels() {
    Conv2dGeometry conv1 = Conv2dGeometry.of(64, 1, 28, 28, 32, 3, 3), conv3 = Conv2dGeometry.of(64, 64, 5, 5, 64, 3, 3);
    boolean avx512 = CpuBackend.avx512Kernels();
    for (Conv2dGeometry g : List.of(conv1, conv2(64), conv3))
      for (int dir = 0; dir < 3; dir++) {
        String impl = CpuBackend.convImplFor(dir, g);
        if (g == conv3 && dir == 2) {
          // 3x3 output planes: jnn's im2col backward filter by choice (conv_dnnl.cpp, kIm2colFilterMaxPlane)
          assertTrue(impl.startsWith("im2col (backward filter on output planes of at most 9"), g + " direction " + dir + ": " + impl);
          continue;
        }
        if (g == conv1 && dir == 0 && avx512) {
          // 9 input taps: jnn's direct forward by choice (conv.cpp, kDirectMaxTaps)
          assertTrue(impl.startsWith("direct (jnn's AVX-512 kernel"), g + " direction " + dir + ": " + impl);
          continue;
        }
        assertTrue(impl.startsWith("oneDNN ") && !impl.contains("ref"), g + " direction " + dir + ": " + impl);
      }
    assertTrue(cpu.kernelLibraries().get(0).startsWith("conv2d: oneDNN 3.11"), cpu.kernelLibraries().get(0));
  }

  /** Plans are per thread (they own mutable blocked buffers): concurrent calls give the single-threaded result. */
  @Test
  void concurrentCallsMatchOneThread() throws Exception {
    Conv2dGeometry g = conv2(8);
    Tensor x = filled(11, g.xShape()), w = filled(12, g.wShape()), b = filled(13, g.outChannels());
    float[] want = forward(g, x, w, b);
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<float[]>> got = new java.util.ArrayList<>();
      for (int i = 0; i < 12; i++) got.add(pool.submit(() -> forward(g, x, w, b)));
      for (Future<float[]> f : got) assertArrayEquals(want, f.get(), "a concurrent forward differs from the single-threaded one");
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A geometry oneDNN rejects (negative padding, which Conv2dGeometry never passes) returns an error
   * code with oneDNN's message, prefixed by the kernel's name; CpuBackend turns that code into a
   * NativeKernelException naming the kernel and the geometry (checkConv).
   */
  @Test
  void oneDnnErrorsBecomeKernelErrors() {
    float[] x = new float[64], w = new float[64], y = new float[64];
    int rc = JnnCpu.jnn_conv2d_forward(x, 0, w, 0, null, 0, y, 0, null, 0, 0, 1, 1, 4, 4, 1, 3, 3, 1, 1, -5, -5, 1, 1);
    assertEquals(2, rc, "JNN_ERR_INTERNAL");
    String msg = JnnCpu.jnn_last_error();
    assertTrue(msg.startsWith("conv2d_forward: oneDNN"), msg);
  }
}
