package dev.jnn.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.GradientCheck;
import dev.jnn.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Finite-difference checks of the transformer's layers on the Java reference backend: Dense on rank 3, LayerNorm, attention (masks), encoder layers. */
class TransformerGradientTest {
  static Tensor randn(long seed, int... shape) { return GraphTest.randn(seed, shape); }

  static GradientCheck.Options opts() { return GradientCheck.Options.defaults(); }

  @Test
  void denseOnRank3() {
    Dense d = new Dense(4, 3);
    d.init(2);
    d.bias().value().copyFrom(randn(5, 3));
    GradientCheck.Report r = GradientCheck.layer(d, randn(1, 2, 3, 4), opts());
    r.assertPassed();
    assertEquals(2 * 3 * 4 + 3 * 4 + 3, r.checked());
  }

  @Test
  void layerNorm() {
    LayerNorm ln = new LayerNorm(6);
    ln.weight().value().copyFrom(randn(3, 6));
    ln.bias().value().copyFrom(randn(4, 6));
    GradientCheck.layer(ln, randn(1, 2, 3, 6), opts()).assertPassed();
    GradientCheck.layer(new LayerNorm(1, 1e-3), randn(2, 4, 1), opts()).assertPassed();   // one feature: y = bias, dx = 0
  }

  @Test
  void attention() {
    MultiHeadAttention a = MultiHeadAttention.builder(6, 2).build();
    a.init(3);
    a.inProjBias().value().copyFrom(randn(9, 18));
    GradientCheck.layer(a, randn(1, 2, 3, 6), opts()).assertPassed();
  }

  @Test
  void attentionCausalOneHead() {
    MultiHeadAttention a = MultiHeadAttention.builder(4, 1).causal(true).build();
    a.init(4);
    GradientCheck.layer(a, randn(2, 2, 4, 4), opts()).assertPassed();
  }

  @Test
  void attentionWithAKeyMask() {
    MultiHeadAttention a = MultiHeadAttention.builder(4, 2).maskInput(true).build();
    a.init(5);
    Tensor mask = Tensor.of(new float[] {0, 1, 1, 0, 1, 1, 1, 1}, 2, 4);   // padding at both ends of the first sequence
    GradientCheck.Report r = GradientCheck.layer(a, new Tensor[] {randn(3, 2, 4, 4), mask}, opts());
    r.assertPassed();
    assertEquals(2 * 4 * 4 + 12 * 4 + 12 + 4 * 4 + 4, r.checked(), "x and every parameter; the mask has no gradient");
  }

  @Test
  void attentionWithOneStep() {
    MultiHeadAttention a = MultiHeadAttention.builder(4, 2).build();
    a.init(6);
    GradientCheck.layer(a, randn(4, 3, 1, 4), opts()).assertPassed();
  }

  // The encoder checks use GELU: a ReLU unit within eps of its kink makes the central difference
  // straddle the kink (ReLU's own check skips such inputs; inside a layer they cannot be skipped).
  @Test
  void encoderLayerPostLn() {
    TransformerEncoderLayer l = TransformerEncoderLayer.builder(4, 2).feedForward(6).dropout(0).activation(TransformerEncoderLayer.Activation.GELU).build();
    l.init(7);
    GradientCheck.layer(l, randn(5, 2, 3, 4), opts()).assertPassed();
  }

  @Test
  void encoderLayerPreLnGeluWithAMask() {
    TransformerEncoderLayer l = TransformerEncoderLayer.builder(4, 2).feedForward(5).dropout(0).normFirst(true)
        .activation(TransformerEncoderLayer.Activation.GELU).maskInput(true).build();
    l.init(8);
    Tensor mask = Tensor.of(new float[] {1, 1, 0, 1, 1, 1}, 2, 3);
    GradientCheck.layer(l, new Tensor[] {randn(6, 2, 3, 4), mask}, opts()).assertPassed();
  }

  @Test
  void encoderStackWithFinalNormAndPositions() {
    TransformerEncoder e = new TransformerEncoder(TransformerEncoderLayer.builder(4, 1).feedForward(4).dropout(0).normFirst(true)
        .activation(TransformerEncoderLayer.Activation.GELU), 2, new LayerNorm(4));
    Sequential s = new Sequential(new PositionalEmbedding(5, 4), e);
    s.init(9);
    GradientCheck.Report r = GradientCheck.layer(s, randn(7, 2, 3, 4), opts());
    r.assertPassed();
    assertEquals(List.of("0.weight", "1.layers.0.self_attn.in_proj_weight", "1.layers.0.self_attn.in_proj_bias", "1.layers.0.self_attn.out_proj.weight",
        "1.layers.0.self_attn.out_proj.bias", "1.layers.0.linear1.weight", "1.layers.0.linear1.bias", "1.layers.0.linear2.weight", "1.layers.0.linear2.bias",
        "1.layers.0.norm1.weight", "1.layers.0.norm1.bias", "1.layers.0.norm2.weight", "1.layers.0.norm2.bias"),
        List.copyOf(s.namedParameters().keySet()).subList(0, 13), "PyTorch's state dict names");
    assertTrue(s.namedParameters().containsKey("1.layers.1.norm2.bias") && s.namedParameters().containsKey("1.norm.weight"));
  }
}
