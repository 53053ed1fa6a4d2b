package dev.jnn.nn;

import dev.jnn.backend.Backend;
import dev.jnn.backend.RnnGeometry;
import dev.jnn.tensor.Tensor;

/**
 * Long short-term memory (PyTorch's {@code nn.LSTM} with {@code batch_first=True}): input x
 * (B, T, I); per step, with gates in PyTorch's order i, f, g, o and two bias vectors,
 * <pre>
 * i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)     f = sigmoid(W_if x + b_if + W_hf h + b_hf)
 * g = tanh(W_ig x + b_ig + W_hg h + b_hg)        o = sigmoid(W_io x + b_io + W_ho h + b_ho)
 * c' = f c + i g                                 h' = o tanh(c')
 * </pre>
 *
 * <pre>{@code
 * LSTM lstm = LSTM.builder().inputSize(16).hiddenSize(32).numLayers(2).bidirectional(true).build();
 * Tensor y = lstm.forward(x, true);            // x [B, T, 16] -> y [B, T, 64] (forward | reverse)
 * LSTM enc = LSTM.builder().inputSize(16).hiddenSize(32).returnSequences(false).build();   // y [B, 32]
 * lstm.setInitialState(h0, c0);                // each [numLayers * dirs, B, H]; clearInitialState() for zeros
 * Tensor hN = lstm.finalHidden(), cN = lstm.finalCell();
 * lstm.backward(dy); Tensor[] d0 = lstm.initialStateGradients();   // {dh0, dc0}
 * }</pre>
 *
 * Parameters are named and laid out as in PyTorch ({@code weight_ih_l0} (4H, I), {@code weight_hh_l0}
 * (4H, H), {@code bias_ih_l0}, {@code bias_hh_l0}, {@code *_reverse}), so a PyTorch state dict loads
 * as is; init U(-1/sqrt(H), 1/sqrt(H)). With {@code returnSequences(false)} the output is the last
 * step, which for the reverse direction is its output at t = 0 (its final state), as in Keras.
 */
public final class LSTM extends Recurrent {

  public static final class Builder extends Recurrent.Builder<LSTM, Builder> {
    @Override public LSTM build() { return new LSTM(options()); }
  }

  public static Builder builder() { return new Builder(); }

  public LSTM(Options options) { super("LSTM", options, 4, true); }

  /** Initial hidden and cell states (each (numLayers dirs, B, H); either may be null for zeros) for the following forwards. */
  public void setInitialState(Tensor h0, Tensor c0) { setStates(h0, c0); }

  /** Initial hidden state, zero cell state. */
  public void setInitialState(Tensor h0) { setStates(h0, null); }

  /** The final cell states of the last forward, (numLayers dirs, B, H). */
  public Tensor finalCell() { return finalCellState(); }

  @Override long workspaceSize(Backend b, RnnGeometry g) { return b.lstmWorkspaceSize(g); }

  @Override
  void kernelForward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Parameter[] w, Tensor y, Tensor hT, Tensor cT, Tensor ws) {
    backend.lstmForward(g, x, h0, c0, w[0].value(), w[1].value(), w[2].value(), w[3].value(), y, hT, cT, ws);
  }

  @Override
  void kernelBackward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Parameter[] w, Tensor y, Tensor ws, Tensor dy, Tensor dhT, Tensor dcT, Tensor dx,
      Tensor dh0, Tensor dc0) {
    backend.lstmBackward(g, x, h0, c0, w[0].value(), w[1].value(), y, ws, dy, dhT, dcT, dx, dh0, dc0, w[0].grad(), w[1].grad(), w[2].grad(), w[3].grad());
  }
}
