package dev.jnn.nn;

import dev.jnn.backend.Backend;
import dev.jnn.backend.RnnGeometry;
import dev.jnn.tensor.Tensor;

/**
 * Gated recurrent unit (PyTorch's {@code nn.GRU} with {@code batch_first=True}): input x (B, T, I);
 * per step, with gates in PyTorch's order r, z, n and two bias vectors,
 * <pre>
 * r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)     z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 * n = tanh(W_in x + b_in + r (W_hn h + b_hn))    h' = (1 - z) n + z h
 * </pre>
 *
 * <pre>{@code
 * GRU gru = GRU.builder().inputSize(16).hiddenSize(32).bidirectional(true).returnSequences(false).build();
 * Tensor y = gru.forward(x, true);     // x [B, T, 16] -> y [B, 64]
 * gru.setInitialState(h0);             // [numLayers * dirs, B, H]
 * }</pre>
 *
 * Parameters as in PyTorch ({@code weight_ih_l0} (3H, I), {@code weight_hh_l0} (3H, H),
 * {@code bias_ih_l0}, {@code bias_hh_l0}, {@code *_reverse}); see {@link LSTM} for the rest.
 */
public final class GRU extends Recurrent {

  public static final class Builder extends Recurrent.Builder<GRU, Builder> {
    @Override public GRU build() { return new GRU(options()); }
  }

  public static Builder builder() { return new Builder(); }

  public GRU(Options options) { super("GRU", options, 3, false); }

  /** Initial hidden state ((numLayers dirs, B, H), null for zeros) for the following forwards. */
  public void setInitialState(Tensor h0) { setStates(h0, null); }

  @Override long workspaceSize(Backend b, RnnGeometry g) { return b.gruWorkspaceSize(g); }

  @Override
  void kernelForward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Parameter[] w, Tensor y, Tensor hT, Tensor cT, Tensor ws) {
    backend.gruForward(g, x, h0, w[0].value(), w[1].value(), w[2].value(), w[3].value(), y, hT, ws);
  }

  @Override
  void kernelBackward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Parameter[] w, Tensor y, Tensor ws, Tensor dy, Tensor dhT, Tensor dcT, Tensor dx,
      Tensor dh0, Tensor dc0) {
    backend.gruBackward(g, x, h0, w[0].value(), w[1].value(), y, ws, dy, dhT, dx, dh0, w[0].grad(), w[1].grad(), w[2].grad(), w[3].grad());
  }
}
