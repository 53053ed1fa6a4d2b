package dev.jnn.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.backend.SimulatedDevice;
import dev.jnn.data.Dataset;
import dev.jnn.loss.MseLoss;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.FitOptions;
import dev.jnn.train.Model;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Device moves and release reach every layer of nested composites (a user's composite inside a
 * graph, a shared layer's replica, merge buffers), proven on a {@link SimulatedDevice} whose
 * memory is reachable only through DeviceMemory; the device model trains bit-identically to the
 * host one and gives every block back.
 */
class GraphDeviceTest {
  static final Device GPU = Device.cuda(6);
  SimulatedDevice sim;

  @BeforeEach
  void install() { sim = SimulatedDevice.install(GPU); }

  @AfterEach
  void uninstall() { sim.close(); }

  static Model model() {
    Dense shared = new Dense(3, 3);
    Graph.Builder g = Graph.builder();
    Graph.Node a = g.input("a", 3), b = g.input("b", 3);
    Graph.Node h = g.apply(new Multiply(), g.apply("left", shared, a), g.apply("right", shared, b));
    h = g.apply("res", new UserLayers.Residual(new Sequential(new Dense(3, 3), new UserLayers.Square(), new Dropout(0.25f))), h);
    Graph net = g.build(g.apply(new Dense(6, 2), g.apply(new Concat(), h, a)));
    return Model.of(net).init(4).compile(new MseLoss(), Adam.builder().lr(0.01).build());
  }

  static Dataset data() {
    float[] a = new float[40 * 3], b = new float[40 * 3], y = new float[40 * 2];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) Math.sin(i * 0.7);
      b[i] = (float) Math.cos(i * 0.3);
    }
    for (int i = 0; i < y.length; i++) y[i] = (float) Math.sin(i * 0.11);
    return new Dataset(List.of(Tensor.of(a, 40, 3), Tensor.of(b, 40, 3)), Tensor.of(y, 40, 2));
  }

  @Test
  void moveTrainAndReleaseReachEveryChild() {
    Model host = model(), dev = model().to(GPU);
    Map<String, Parameter> ps = dev.namedParameters();
    assertTrue(ps.containsKey("res.f.0.weight"), ps.keySet().toString());
    for (Map.Entry<String, Parameter> e : ps.entrySet()) {
      assertEquals(GPU, e.getValue().device(), e.getKey());
      assertFalse(e.getValue().value().isHost(), e.getKey() + " is on the device");
    }
    for (Layer l : dev.network().allLayers()) assertEquals(GPU, l.device(), l.name());

    Dataset d = data();
    FitOptions o = FitOptions.builder().epochs(3).batchSize(16).seed(2).build();
    host.fit(d, o);
    dev.fit(d, o);
    for (String k : ps.keySet())
      assertArrayEquals(host.namedParameters().get(k).value().toArray(), ps.get(k).value().toArray(), k + " after training on the device");
    Tensor[] xs = {d.input(0).to(GPU), d.input(1).to(GPU)};
    try (Tensor p = dev.predict(xs, 16)) {
      assertArrayEquals(host.predict(new Tensor[] {d.input(0), d.input(1)}, 16).toArray(), p.toArray());
    }
    Tensor.closeAll(xs);

    // back to the host and to the device again: the replica of the shared layer is rebuilt on the new device
    dev.to(Device.JAVA).to(GPU);
    dev.fit(d, FitOptions.builder().epochs(4).initialEpoch(3).batchSize(16).seed(2).build());
    host.fit(d, FitOptions.builder().epochs(4).initialEpoch(3).batchSize(16).seed(2).build());
    for (String k : ps.keySet())
      assertArrayEquals(host.namedParameters().get(k).value().toArray(), dev.namedParameters().get(k).value().toArray(), k + " after a round trip");

    assertTrue(sim.liveBlocks() > 0);
    dev.close();
    assertEquals(0, sim.liveBlocks(), "device blocks left after close(): " + sim);
    Parameter inner = dev.namedParameters().get("res.f.0.weight");
    assertThrows(IllegalStateException.class, () -> inner.value().toArray(), "release reached the user composite's child");
  }
}
