package dev.jnn.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jnn.GradientCheck;
import dev.jnn.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of the merges and of graphs with fan-out and shared layers (Java reference backend). */
class MergeGradientTest {
  static Tensor randn(long seed, int... shape) { return GraphTest.randn(seed, shape); }

  static GradientCheck.Options opts() { return GradientCheck.Options.defaults(); }

  @Test
  void add() {
    GradientCheck.Report r = GradientCheck.layer(new Add(), new Tensor[] {randn(1, 3, 4), randn(2, 3, 4), randn(3, 3, 4)}, opts());
    r.assertPassed();
    assertEquals(36, r.checked());
  }

  @Test
  void multiply() {
    GradientCheck.layer(new Multiply(), new Tensor[] {randn(1, 3, 5), randn(2, 3, 5)}, opts()).assertPassed();
    GradientCheck.Report r = GradientCheck.layer(new Multiply(), new Tensor[] {randn(4, 2, 3), randn(5, 2, 3), randn(6, 2, 3)}, opts());
    r.assertPassed();
    assertEquals(18, r.checked());
  }

  @Test
  void concatLastAxis() {
    GradientCheck.Report r = GradientCheck.layer(new Concat(), new Tensor[] {randn(1, 3, 2), randn(2, 3, 5)}, opts());
    r.assertPassed();
    assertEquals(21, r.checked());
  }

  @Test
  void concatMiddleAxisOfRank3() {
    GradientCheck.layer(new Concat(1), new Tensor[] {randn(1, 2, 3, 4), randn(2, 2, 1, 4), randn(3, 2, 2, 4)}, opts()).assertPassed();
  }

  /** x feeds Dense, Tanh and the Add: three gradients summed into x's. */
  @Test
  void graphWithFanOut() {
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input(5);
    Graph.Node a = g.apply(new Dense(5, 5), x), b = g.apply(new Tanh(), x);
    Graph net = g.build(g.apply(new Dense(5, 2), g.apply(new Add(), a, b, x))).init(4);
    GradientCheck.Report r = GradientCheck.layer(net, randn(7, 3, 5), opts());
    r.assertPassed();
    assertEquals(3 * 5 + 5 * 5 + 5 + 5 * 2 + 2, r.checked(), "input and every parameter element");
  }

  /** One Dense applied twice in series: the weight gradient sums both uses (the numeric one perturbs the one shared weight). */
  @Test
  void graphWithASharedLayer() {
    Dense shared = new Dense(4, 4);
    Graph.Builder g = Graph.builder();
    Graph.Node x = g.input(4);
    Graph.Node h = g.apply(new Tanh(), g.apply(shared, x));
    Graph net = g.build(g.apply(new Multiply(), g.apply(shared, h), x)).init(2);
    GradientCheck.layer(net, randn(8, 3, 4), opts()).assertPassed();
  }

  @Test
  void twoInputGraph() {
    Graph.Builder g = Graph.builder();
    Graph.Node a = g.input(3), b = g.input(2);
    Graph net = g.build(g.apply(new Dense(5, 2), g.apply(new Concat(), a, g.apply(new Sigmoid(), b)))).init(9);
    GradientCheck.layer(net, new Tensor[] {randn(1, 4, 3), randn(2, 4, 2)}, opts()).assertPassed();
  }

  @Test
  void userComposite() {
    UserLayers.Residual r = new UserLayers.Residual(new Sequential(new Dense(3, 3), new UserLayers.Square()));
    r.init(5);
    GradientCheck.layer(r, randn(3, 2, 3), opts()).assertPassed();
  }
}
