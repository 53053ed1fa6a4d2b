package dev.jnn.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.loss.MseLoss;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Graph;
import dev.jnn.nn.ProfileHooks;
import dev.jnn.nn.ReLU;
import dev.jnn.nn.Sequential;
import dev.jnn.nn.UserLayers;
import dev.jnn.optim.Sgd;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Model;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The profiler's tables and the NVTX ranges see the inner layers of nested composites (a user's layer inside a graph inside a model). */
class NestedProfileTest {
  static Model model() {
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input("x", 4);
    Graph.Node h = g.apply("block", new UserLayers.Residual(new Sequential(new Dense(4, 4), new ReLU())), x);
    return Model.of(g.build(g.apply("head", new Dense(4, 2), h))).init(1).compile(new MseLoss(), Sgd.builder().lr(0.01).build());
  }

  @Test
  void profilerTablesListInnerLayers() {
    Model m = model();
    Tensor x = Tensor.zeros(8, 4), y = Tensor.zeros(8, 2);
    x.fill(0.5f);
    ProfileReport r;
    try (Profiler p = Profiler.start(m.network())) {
      m.trainOnBatch(x, y);
      r = p.report();
    }
    for (String l : List.of("Residual#1", "Sequential#1", "Dense#1", "ReLU#1", "Add#1", "Dense#2"))
      assertTrue(r.layers().containsKey(l), l + " in " + r.layers().keySet());
    assertTrue(r.layer("Dense#1").forwardNs() > 0 && r.layer("Dense#1").backwardNs() > 0, "the inner Dense has its own forward and backward time");
    assertTrue(r.layer("Dense#1").updateNs() > 0, "its optimizer update is attributed to it");
  }

  /** What an NVTX listener receives: a range per inner layer, properly nested inside its parent's. */
  @Test
  void nvtxRangesNestPerLayer() {
    Model m = model();
    List<String> log = new ArrayList<>();
    ProfileHooks.Listener l = new ProfileHooks.Listener() {
      @Override public void begin(ProfileHooks.Range r, Object s, Object o) { if (r == ProfileHooks.Range.FORWARD) log.add("+" + s); }
      @Override public void end(ProfileHooks.Range r, Object s, Object o) { if (r == ProfileHooks.Range.FORWARD) log.add("-" + s); }
    };
    ProfileHooks.Listener old = ProfileHooks.install(l);
    try {
      m.forward(Tensor.zeros(2, 4), false);
    } finally {
      ProfileHooks.install(old);
    }
    assertEquals(List.of("+Residual(Sequential(2 layers))", "+Sequential(2 layers)", "+Dense(4->4)", "-Dense(4->4)", "+ReLU", "-ReLU",
        "-Sequential(2 layers)", "+Add", "-Add", "-Residual(Sequential(2 layers))", "+Dense(4->2)", "-Dense(4->2)"), log);
    LayerNames names = new LayerNames();
    names.assign(m.network());
    assertEquals("Dense#1", names.of(((Sequential) ((UserLayers.Residual) ((Graph) m.network()).layerAt("block")).f()).layer(0)));
  }
}
