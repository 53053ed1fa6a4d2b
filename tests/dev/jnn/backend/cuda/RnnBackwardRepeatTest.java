package dev.jnn.backend.cuda;

import static org.junit.jupiter.api.Assertions.*;

import dev.jnn.backend.Arena;
import dev.jnn.backend.Backend;
import dev.jnn.backend.BackendSource;
import dev.jnn.backend.Backends;
import dev.jnn.backend.Inputs;
import dev.jnn.backend.RnnGeometry;
import dev.jnn.backend.SimulatedDevice;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Backend's RNN promise (Backend#lstmWorkspaceSize): the backward leaves the forward's part of the
 * workspace intact, so it may run again. One forward, then backward with dy1, with dy2, with dy1
 * again: the third call must give the first call's gradients. On cuda this is what copying cuDNN's
 * reserve space buys (cudnnRNNBackwardData_v8 writes into it); the rows run on every backend
 * present and on the simulated device, with every tensor at element offset 3 (the misaligned
 * states cuda stages through aligned scratch) and both directions.
 */
class RnnBackwardRepeatTest {
  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    List<String> backends = new ArrayList<>(List.of("java", "simulated"));
    BackendSource.nonReference().forEach(c -> backends.add(c.name()));
    for (String b : backends) for (String cell : new String[] {"lstm", "gru"}) for (boolean rev : new boolean[] {false, true})
      out.add(Arguments.of(b, cell, rev));
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} reverse={2}")
  @MethodSource("cases")
  void backwardCalledAgainGivesTheSameGradients(String backend, String cell, boolean reverse) {
    if (backend.equals("simulated")) {
      try (SimulatedDevice sim = SimulatedDevice.install(Device.cuda(7))) {
        run(sim.backend(), cell, reverse);
        assertEquals(0, sim.liveBlocks(), "the arena gave every block back");
      }
      return;
    }
    Backend be = backend.equals("java") ? Backends.java()
        : BackendSource.require(BackendSource.nonReference().filter(c -> c.name().equals(backend)).findFirst().orElseThrow());
    run(be, cell, reverse);
  }

  private static void run(Backend k, String cell, boolean reverse) {
    boolean lstm = cell.equals("lstm");
    RnnGeometry g = new RnnGeometry(4, 5, 3, 6, reverse);
    int gh = (lstm ? 4 : 3) * g.hiddenSize(), bh = g.batch() * g.hiddenSize(), yn = Tensor.sizeOf(g.yShape());
    int[] st = g.stateShape();
    double r = 1 / Math.sqrt(g.hiddenSize());
    try (Arena ar = new Arena(k.device(), 3)) {
      Tensor x = ar.in("x", Inputs.uniform(1, Tensor.sizeOf(g.xShape()), -1, 1), g.xShape());
      Tensor h0 = ar.in("h0", Inputs.uniform(2, bh, -1, 1), st), c0 = lstm ? ar.in("c0", Inputs.uniform(3, bh, -1, 1), st) : null;
      Tensor wIh = ar.in("wIh", Inputs.uniform(4, gh * g.inputSize(), -r, r), gh, g.inputSize());
      Tensor wHh = ar.in("wHh", Inputs.uniform(5, gh * g.hiddenSize(), -r, r), gh, g.hiddenSize());
      Tensor bIh = ar.in("bIh", Inputs.uniform(6, gh, -r, r), gh), bHh = ar.in("bHh", Inputs.uniform(7, gh, -r, r), gh);
      Tensor y = ar.out("y", g.yShape()), hT = ar.out("hT", st), cT = lstm ? ar.out("cT", st) : null;
      Tensor ws = ar.out("workspace", (int) (lstm ? k.lstmWorkspaceSize(g) : k.gruWorkspaceSize(g)));
      Tensor dy1 = ar.in("dy1", Inputs.uniform(8, yn, -1, 1), g.yShape()), dy2 = ar.in("dy2", Inputs.uniform(9, yn, -1, 1), g.yShape());
      Tensor dhT = ar.in("dhT", Inputs.uniform(10, bh, -1, 1), st), dcT = lstm ? ar.in("dcT", Inputs.uniform(11, bh, -1, 1), st) : null;
      Tensor dx = ar.out("dx", g.xShape()), dh0 = ar.out("dh0", st), dc0 = lstm ? ar.out("dc0", st) : null;
      Tensor dwIh = ar.out("dwIh", gh, g.inputSize()), dwHh = ar.out("dwHh", gh, g.hiddenSize()), dbIh = ar.out("dbIh", gh), dbHh = ar.out("dbHh", gh);
      Tensor[] grads = lstm ? new Tensor[] {dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh} : new Tensor[] {dx, dh0, dwIh, dwHh, dbIh, dbHh};
      if (lstm) k.lstmForward(g, x, h0, c0, wIh, wHh, bIh, bHh, y, hT, cT, ws);
      else k.gruForward(g, x, h0, wIh, wHh, bIh, bHh, y, hT, ws);
      float[][] first = backward(k, lstm, g, x, h0, c0, wIh, wHh, y, ws, dy1, dhT, dcT, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh, grads);
      float[][] other = backward(k, lstm, g, x, h0, c0, wIh, wHh, y, ws, dy2, dhT, dcT, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh, grads);
      float[][] again = backward(k, lstm, g, x, h0, c0, wIh, wHh, y, ws, dy1, dhT, dcT, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh, grads);
      String[] names = lstm ? new String[] {"dx", "dh0", "dc0", "dwIh", "dwHh", "dbIh", "dbHh"} : new String[] {"dx", "dh0", "dwIh", "dwHh", "dbIh", "dbHh"};
      for (int i = 0; i < grads.length; i++) {
        assertClose(first[i], again[i], k.device() + " " + cell + " " + names[i] + ": the third backward (dy1 again) differs from the first");
        assertFalse(java.util.Arrays.equals(first[i], other[i]), names[i] + ": a different dy must change the gradient (else the test proves nothing)");
      }
      ar.assertIntact(cell + " backward");
    }
  }

  private static float[][] backward(Backend k, boolean lstm, RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y, Tensor ws,
                                    Tensor dy, Tensor dhT, Tensor dcT, Tensor dx, Tensor dh0, Tensor dc0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh,
                                    Tensor[] grads) {
    if (lstm) k.lstmBackward(g, x, h0, c0, wIh, wHh, y, ws, dy, dhT, dcT, dx, dh0, dc0, dwIh, dwHh, dbIh, dbHh);
    else k.gruBackward(g, x, h0, wIh, wHh, y, ws, dy, dhT, dx, dh0, dwIh, dwHh, dbIh, dbHh);
    float[][] out = new float[grads.length][];
    for (int i = 0; i < grads.length; i++) out[i] = grads[i].toArray();
    return out;
  }

  /** Equal to 1e-6 of the largest magnitude (host backends are bit-identical; cuDNN's reductions may reorder). */
  private static void assertClose(float[] want, float[] got, String what) {
    double m = 0;
    for (float v : want) m = Math.max(m, Math.abs(v));
    for (int i = 0; i < want.length; i++)
      if (!(Math.abs(want[i] - got[i]) <= 1e-6 * m + 1e-7)) fail(what + " at " + i + ": " + got[i] + " vs " + want[i]);
  }
}
