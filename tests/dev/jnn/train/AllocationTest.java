package dev.jnn.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.backend.Backends;
import dev.jnn.tensor.Device;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * A steady-state training step of the dense example on the native cpu backend allocates less
 * than 1 KiB on the Java heap (the bar; expected: 0). Measured with the per-thread
 * allocation counter of HotSpot ({@code com.sun.management.ThreadMXBean}), which counts bytes,
 * not time: the test is deterministic and says nothing about speed.
 */
class AllocationTest {
  static long allocated() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  @Test
  void steadyStateFitStepAllocatesUnderOneKiB() {
    Backends.get(Device.CPU);
    DenseExample.Config c = DenseExample.Config.defaults().withDevice(Device.CPU);
    DenseExample.Data d = DenseExample.data(c.seed(), c.trainSize(), c.testSize());
    Model m = DenseExample.compiledModel(c);
    FitOptions one = FitOptions.builder().epochs(2).batchSize(32).build(), many = FitOptions.builder().epochs(42).batchSize(32).build();
    for (int i = 0; i < 5; i++) m.fit(d.train(), one);   // warm-up (JIT)
    long a0 = allocated();
    m.fit(d.train(), one);
    long a1 = allocated();
    m.fit(d.train(), many);
    long a2 = allocated();
    // the difference removes the per-fit costs (batch buffers, permutation, history); what remains is per epoch and per step
    double perStep = (double) ((a2 - a1) - (a1 - a0)) / (40 * 32);
    System.out.printf(Locale.ROOT, "dense example on cpu: %.1f bytes allocated per training step in fit (per-epoch log included)%n", perStep);
    assertTrue(perStep < 1024, "a steady-state step allocates " + perStep + " bytes");
  }

  @Test
  void trainOnBatchAllocatesNothingOnCpu() {
    Backends.get(Device.CPU);
    DenseExample.Config c = DenseExample.Config.defaults().withDevice(Device.CPU);
    DenseExample.Data d = DenseExample.data(c.seed(), c.trainSize(), c.testSize());
    Model m = DenseExample.compiledModel(c);
    var x = d.train().features().rows(0, 32).to(Device.CPU);
    var y = d.train().targets().rows(0, 32).to(Device.CPU);
    for (int i = 0; i < 20_000; i++) m.trainOnBatch(x, y);
    long a0 = allocated();
    for (int i = 0; i < 10_000; i++) m.trainOnBatch(x, y);
    double perStep = (allocated() - a0) / 10_000.0;
    System.out.printf(Locale.ROOT, "dense example on cpu: %.2f bytes allocated per trainOnBatch step%n", perStep);
    assertTrue(perStep < 1024, "a steady-state step allocates " + perStep + " bytes");
  }
}
