package dev.jnn.nn;

import static dev.jnn.nn.LayerGradientTest.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.jnn.GradientCheck;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference gradient checks (the generic {@link GradientCheck}) of the sequence layers on
 * the Java reference backend: Embedding (weights), LSTM and GRU (inputs, every weight and bias,
 * initial states) over 1 and 2 layers, uni- and bidirectional, T = 1 and T = 5, whole sequence and
 * last step; GlobalAvgPool1d with and without a mask; TimeDistributed(Dense).
 */
class SequenceLayerGradientTest {
  static GradientCheck.Options opts() { return GradientCheck.Options.defaults(); }

  /** A recurrent case: kind, layers, bidirectional, steps, returnSequences. */
  record RnnCase(boolean lstm, int layers, boolean bidirectional, int steps, boolean returnSequences) {
    @Override
    public String toString() {
      return (lstm ? "LSTM" : "GRU") + " layers=" + layers + (bidirectional ? " bidirectional" : " unidirectional") + " T=" + steps
          + (returnSequences ? " sequence" : " last step");
    }

    Recurrent build(int input, int hidden) {
      return lstm
          ? LSTM.builder().inputSize(input).hiddenSize(hidden).numLayers(layers).bidirectional(bidirectional).returnSequences(returnSequences).build()
          : GRU.builder().inputSize(input).hiddenSize(hidden).numLayers(layers).bidirectional(bidirectional).returnSequences(returnSequences).build();
    }
  }

  static Stream<RnnCase> rnnCases() {
    List<RnnCase> cs = new ArrayList<>();
    for (boolean lstm : new boolean[] {true, false})
      for (int layers : new int[] {1, 2})
        for (boolean bi : new boolean[] {false, true})
          for (int t : new int[] {1, 5})
            for (boolean seq : new boolean[] {true, false}) cs.add(new RnnCase(lstm, layers, bi, t, seq));
    return cs.stream();
  }

  /**
   * The recurrent layer with its initial states as extra parameters (h0, and c0 for an LSTM), so
   * that the generic checker differentiates them too: forward sets them as the initial state,
   * backward copies {@link Recurrent#initialStateGradients()} into their gradients.
   */
  static final class WithStates extends Layer {
    final Recurrent r;
    final Parameter h0, c0;

    WithStates(Recurrent r, int batch, long seed) {
      this.r = r;
      int n = r.numLayers() * (r.bidirectional() ? 2 : 1);
      h0 = new Parameter("h0", Device.JAVA, n, batch, r.hiddenSize());
      h0.value().copyFrom(randn(seed, 0.5, n, batch, r.hiddenSize()));
      if (r instanceof LSTM) {
        c0 = new Parameter("c0", Device.JAVA, n, batch, r.hiddenSize());
        c0.value().copyFrom(randn(seed + 1, 0.5, n, batch, r.hiddenSize()));
      } else {
        c0 = null;
      }
    }

    @Override public String name() { return r.name() + " with initial states"; }

    @Override
    protected List<Parameter> ownParameters() {
      List<Parameter> ps = new ArrayList<>(r.parameters());
      ps.add(h0);
      if (c0 != null) ps.add(c0);
      return ps;
    }

    @Override
    public Tensor forward(Tensor x, boolean training) {
      if (r instanceof LSTM l) l.setInitialState(h0.value(), c0.value());
      else ((GRU) r).setInitialState(h0.value());
      return r.forward(x, training);
    }

    @Override
    public Tensor backward(Tensor dy) {
      Tensor dx = r.backward(dy);
      Tensor[] g = r.initialStateGradients();
      h0.grad().copyFrom(g[0]);
      if (c0 != null) c0.grad().copyFrom(g[1]);
      return dx;
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rnnCases")
  void recurrentZeroStates(RnnCase c) {
    Recurrent r = c.build(3, 4);
    r.initialize(new SplittableRandom(7));
    Tensor x = randn(8, 1, 2, c.steps(), 3);
    GradientCheck.Report rep = GradientCheck.layer(r, x, opts());
    rep.assertPassed();
    assertEquals(x.size() + r.parameterCount(), rep.checked(), "input and every weight and bias checked");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rnnCases")
  void recurrentWithInitialStates(RnnCase c) {
    Recurrent r = c.build(3, 4);
    r.initialize(new SplittableRandom(9));
    WithStates w = new WithStates(r, 2, 10);
    Tensor x = randn(11, 1, 2, c.steps(), 3);
    GradientCheck.Report rep = GradientCheck.layer(w, x, opts());
    rep.assertPassed();
    assertEquals(x.size() + w.parameterCount(), rep.checked(), "input, weights, biases and initial states checked");
  }

  /**
   * As the first layer of a model (no input gradient): backward returns null, the kernels skip dx,
   * and every weight and bias still checks.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("rnnCases")
  void recurrentWithoutInputGradient(RnnCase c) {
    Recurrent r = c.build(3, 4);
    r.initialize(new SplittableRandom(12));
    r.setInputGradRequired(false);
    Tensor x = randn(13, 1, 2, c.steps(), 3);
    GradientCheck.Report rep = GradientCheck.layer(r, x, opts());
    rep.assertPassed();
    assertEquals(r.parameterCount(), rep.checked(), "every weight and bias checked (no input gradient)");
    r.forward(x, true);
    assertNull(r.backward(randn(14, 1, r.outputShape(x.shape()))), "no input gradient asked for");
  }

  @Test
  void embeddingWeights() {
    Embedding e = new Embedding(7, 3);
    e.initialize(new SplittableRandom(1));
    Tensor ids = Tensor.of(new float[] {0, 3, 3, 6, 1, 0, 2, 6}, 2, 4);   // repeated ids: their gradients add up
    GradientCheck.Report rep = GradientCheck.layer(e, ids, opts());
    rep.assertPassed();
    assertEquals(7 * 3, rep.checked(), "every weight element (ids have no gradient)");
  }

  @Test
  void embeddingWithPadding() {
    Embedding e = new Embedding(5, 2, 1);
    Tensor ids = Tensor.of(new float[] {1, 2, 1, 4, 0, 1}, 3, 2);
    // the padding row is never trained: its analytic gradient is 0, while a finite difference sees
    // the (zero-initialized but used) row; PyTorch does the same, so only the other rows are compared
    e.forward(ids, true);
    e.backward(randn(2, 1, 3, 2, 2));
    for (int d = 0; d < 2; d++) assertEquals(0f, e.weight().grad().get(1, d), "no gradient into the padding row");
    Tensor ids2 = Tensor.of(new float[] {3, 2, 0, 4, 0, 2}, 3, 2);   // no padding id: same as an unpadded embedding
    GradientCheck.layer(e, ids2, opts()).assertPassed();
  }

  @Test
  void globalAvgPool1d() {
    GradientCheck.layer(new GlobalAvgPool1d(), randn(12, 1, 3, 5, 4), opts()).assertPassed();
  }

  @Test
  void globalAvgPool1dMasked() {
    GlobalAvgPool1d p = new GlobalAvgPool1d();
    p.setMask(Tensor.of(new float[] {1, 1, 0, 0, 0, /**/ 1, 0, 1, 0, 1, /**/ 0, 0, 0, 0, 0}, 3, 5));   // the last row has no valid step
    GradientCheck.Report rep = GradientCheck.layer(p, randn(13, 1, 3, 5, 4), opts());
    rep.assertPassed();
    assertEquals(3 * 5 * 4, rep.checked());
  }

  @Test
  void timeDistributedDense() {
    Dense d = new Dense(4, 3);
    d.bias().value().copyFrom(randn(14, 0.5, 3));
    TimeDistributed td = new TimeDistributed(d);
    GradientCheck.Report rep = GradientCheck.layer(td, randn(15, 1, 2, 5, 4), opts());
    rep.assertPassed();
    assertEquals(2 * 5 * 4 + 4 * 3 + 3, rep.checked());
  }

  @Test
  void sequenceClassifierStack() {
    // Embedding -> bidirectional LSTM -> GRU (last step) -> Dense, through every parameter
    Sequential m = new Sequential(new Embedding(6, 3),
        LSTM.builder().inputSize(3).hiddenSize(3).bidirectional(true).build(),
        GRU.builder().inputSize(6).hiddenSize(3).returnSequences(false).build(),
        new Dense(3, 2)).init(16);
    m.setInputGradRequired(false);   // ids have no gradient: the checker must not ask for one
    Tensor ids = Tensor.of(new float[] {1, 5, 0, 2, 3, 3, 4, 1}, 2, 4);
    GradientCheck.layer(m, ids, opts()).assertPassed();
  }
}
