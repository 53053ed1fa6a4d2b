package dev.jnn.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.Tolerances;
import dev.jnn.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PyTorch's conventions for LSTM and GRU: a weight set in PyTorch's layout and names
 * ({@code weight_ih_l0} (G H, I) with the gate blocks in PyTorch's order, {@code weight_hh_l0},
 * {@code bias_ih_l0}, {@code bias_hh_l0}, {@code *_reverse}), written out in this test, is loaded
 * into jnn's layers by parameter name, and their outputs and final states must equal those of
 * plain double loops over PyTorch's documented formulas (torch.nn.LSTM / torch.nn.GRU pages):
 *
 * <pre>
 * LSTM: i,f,g,o = chunks of W_ih x + b_ih + W_hh h + b_hh; c' = s(f) c + s(i) tanh(g); h' = s(o) tanh(c')
 * GRU:  r = s(W_ir x + b_ir + W_hr h + b_hr); z likewise; n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h' = (1 - z) n + z h
 * </pre>
 * Bidirectional outputs are [forward | reverse] on the feature axis; states are indexed
 * {@code layer * 2 + direction}; layer 1's input is layer 0's concatenated output.
 */
class PyTorchConventionTest {

  // I = 2, H = 2, hand-written; LSTM gate blocks i, f, g, o (2 rows each), GRU r, z, n
  static final double[] LSTM_W_IH = {0.1, -0.2, 0.3, 0.05, -0.4, 0.25, 0.15, -0.1, 0.5, 0.2, -0.3, 0.4, 0.05, 0.35, -0.15, -0.45};
  static final double[] LSTM_W_HH = {0.2, 0.1, -0.1, 0.3, 0.05, -0.25, 0.4, 0.15, -0.35, 0.1, 0.2, -0.05, 0.3, 0.25, -0.2, 0.1};
  static final double[] LSTM_B_IH = {0.1, -0.1, 0.5, 0.4, 0.0, 0.05, -0.2, 0.15};
  static final double[] LSTM_B_HH = {-0.05, 0.2, 0.1, 0.3, 0.05, -0.1, 0.1, 0.0};
  static final double[] LSTM_W_IH_R = {-0.3, 0.2, 0.1, 0.4, 0.25, -0.15, -0.05, 0.3, 0.2, -0.4, 0.35, 0.1, -0.25, 0.05, 0.45, -0.2};
  static final double[] LSTM_W_HH_R = {0.15, -0.3, 0.25, 0.1, -0.2, 0.05, 0.3, -0.1, 0.1, 0.2, -0.15, 0.35, 0.05, -0.25, 0.2, 0.1};
  static final double[] LSTM_B_IH_R = {0.2, 0.0, -0.1, 0.3, 0.1, -0.2, 0.05, 0.1};
  static final double[] LSTM_B_HH_R = {0.0, 0.1, 0.2, -0.1, -0.05, 0.15, 0.1, -0.2};

  static final double[] GRU_W_IH = {0.2, -0.1, 0.35, 0.15, -0.25, 0.4, 0.1, 0.3, -0.45, 0.2, 0.05, -0.3};
  static final double[] GRU_W_HH = {-0.15, 0.25, 0.1, -0.3, 0.2, 0.05, 0.35, -0.1, 0.15, 0.4, -0.2, 0.1};
  static final double[] GRU_B_IH = {0.1, -0.2, 0.05, 0.15, -0.1, 0.3};
  static final double[] GRU_B_HH = {0.2, 0.1, -0.05, 0.0, 0.25, -0.15};
  static final double[] GRU_W_IH_R = {-0.2, 0.3, 0.1, -0.05, 0.4, 0.2, -0.35, 0.15, 0.25, -0.1, 0.3, 0.05};
  static final double[] GRU_W_HH_R = {0.1, 0.2, -0.3, 0.15, 0.05, -0.25, 0.2, 0.1, -0.1, 0.3, 0.25, -0.2};
  static final double[] GRU_B_IH_R = {-0.1, 0.05, 0.2, -0.2, 0.1, 0.0};
  static final double[] GRU_B_HH_R = {0.05, -0.15, 0.1, 0.2, -0.05, 0.15};

  /** x (B=2, T=3, I=2). */
  static final double[] X = {0.5, -1.0, 1.5, 0.25, -0.75, 2.0, /**/ -0.3, 0.8, 0.0, -1.2, 1.1, 0.4};
  /** Initial states (dirs=2, B=2, H=2). */
  static final double[] H0 = {0.1, -0.2, 0.3, 0.05, /**/ -0.1, 0.25, 0.0, -0.3};
  static final double[] C0 = {0.2, 0.1, -0.4, 0.3, /**/ 0.05, -0.15, 0.35, 0.0};

  static double sig(double v) { return 1 / (1 + Math.exp(-v)); }

  /** W[r, :] . v  + b1[r] + b2[r]. */
  static double affine(double[] w, int r, double[] v, int cols) {
    double s = 0;
    for (int c = 0; c < cols; c++) s += w[r * cols + c] * v[c];
    return s;
  }

  /**
   * One layer, one direction, in double: x [B][T][I]; returns y [B][T][H], and writes the final
   * states into hT, cT [B][H] (cT null for GRU).
   */
  static double[][][] reference(boolean lstm, double[][][] x, double[] wIh, double[] wHh, double[] bIh, double[] bHh, int hidden, boolean reverse,
      double[][] h0, double[][] c0, double[][] hT, double[][] cT) {
    int B = x.length, T = x[0].length, I = x[0][0].length, H = hidden;
    double[][][] y = new double[B][T][H];
    for (int b = 0; b < B; b++) {
      double[] h = h0 == null ? new double[H] : h0[b].clone();
      double[] c = c0 == null ? new double[H] : c0[b].clone();
      for (int s = 0; s < T; s++) {
        int t = reverse ? T - 1 - s : s;
        double[] xt = x[b][t];
        double[] hn = new double[H], cn = new double[H];
        for (int j = 0; j < H; j++) {
          if (lstm) {
            double gi = affine(wIh, j, xt, I) + bIh[j] + affine(wHh, j, h, H) + bHh[j];
            double gf = affine(wIh, H + j, xt, I) + bIh[H + j] + affine(wHh, H + j, h, H) + bHh[H + j];
            double gg = affine(wIh, 2 * H + j, xt, I) + bIh[2 * H + j] + affine(wHh, 2 * H + j, h, H) + bHh[2 * H + j];
            double go = affine(wIh, 3 * H + j, xt, I) + bIh[3 * H + j] + affine(wHh, 3 * H + j, h, H) + bHh[3 * H + j];
            cn[j] = sig(gf) * c[j] + sig(gi) * Math.tanh(gg);
            hn[j] = sig(go) * Math.tanh(cn[j]);
          } else {
            double r = sig(affine(wIh, j, xt, I) + bIh[j] + affine(wHh, j, h, H) + bHh[j]);
            double z = sig(affine(wIh, H + j, xt, I) + bIh[H + j] + affine(wHh, H + j, h, H) + bHh[H + j]);
            double n = Math.tanh(affine(wIh, 2 * H + j, xt, I) + bIh[2 * H + j] + r * (affine(wHh, 2 * H + j, h, H) + bHh[2 * H + j]));
            hn[j] = (1 - z) * n + z * h[j];
          }
        }
        h = hn;
        c = cn;
        y[b][t] = h.clone();
      }
      hT[b] = h;
      if (cT != null) cT[b] = c;
    }
    return y;
  }

  static double[][][] x3(double[] flat, int B, int T, int I) {
    double[][][] r = new double[B][T][I];
    for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) for (int i = 0; i < I; i++) r[b][t][i] = flat[(b * T + t) * I + i];
    return r;
  }

  static double[][] state(double[] flat, int idx, int B, int H) {
    if (flat == null) return null;
    double[][] r = new double[B][H];
    for (int b = 0; b < B; b++) for (int j = 0; j < H; j++) r[b][j] = flat[(idx * B + b) * H + j];
    return r;
  }

  static Tensor tensor(double[] v, int... shape) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
    return Tensor.of(f, shape);
  }

  static void load(Recurrent r, String name, double[] v) {
    Parameter p = r.parameter(name);
    assertEquals(v.length, p.size(), name + " size");
    p.value().copyFrom(tensor(v, p.value().shape()));
  }

  static void assertClose(String what, double[] expected, Tensor got) {
    assertEquals(expected.length, got.size(), what + " size");
    for (int i = 0; i < expected.length; i++) {
      double e = expected[i], g = got.at(i);
      assertTrue(Math.abs(g - e) <= Tolerances.RNN_FORMULA_ATOL + Tolerances.RNN_FORMULA_RTOL * Math.abs(e),
          what + "[" + i + "]: jnn " + g + " vs PyTorch formula " + e);
    }
  }

  /** Bidirectional, one layer, hand-written weights and initial states; whole sequence and last step. */
  void bidirectional(boolean lstm, boolean returnSequences) {
    int B = 2, T = 3, I = 2, H = 2;
    Recurrent r = lstm ? LSTM.builder().inputSize(I).hiddenSize(H).bidirectional(true).returnSequences(returnSequences).build()
        : GRU.builder().inputSize(I).hiddenSize(H).bidirectional(true).returnSequences(returnSequences).build();
    assertEquals(List.of("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
        "bias_hh_l0_reverse"), r.parameters().stream().map(Parameter::name).toList(), "PyTorch's parameter names and order");
    double[][] w = lstm ? new double[][] {LSTM_W_IH, LSTM_W_HH, LSTM_B_IH, LSTM_B_HH, LSTM_W_IH_R, LSTM_W_HH_R, LSTM_B_IH_R, LSTM_B_HH_R}
        : new double[][] {GRU_W_IH, GRU_W_HH, GRU_B_IH, GRU_B_HH, GRU_W_IH_R, GRU_W_HH_R, GRU_B_IH_R, GRU_B_HH_R};
    for (int k = 0; k < 8; k++) load(r, r.parameters().get(k).name(), w[k]);
    if (r instanceof LSTM l) l.setInitialState(tensor(H0, 2, B, H), tensor(C0, 2, B, H));
    else ((GRU) r).setInitialState(tensor(H0, 2, B, H));
    Tensor y = r.forward(tensor(X, B, T, I), false);

    double[][][] x = x3(X, B, T, I);
    double[][][] hT = new double[2][B][], cT = new double[2][B][];
    double[][][] yf = reference(lstm, x, w[0], w[1], w[2], w[3], H, false, state(H0, 0, B, H), lstm ? state(C0, 0, B, H) : null, hT[0], lstm ? cT[0] : null);
    double[][][] yr = reference(lstm, x, w[4], w[5], w[6], w[7], H, true, state(H0, 1, B, H), lstm ? state(C0, 1, B, H) : null, hT[1], lstm ? cT[1] : null);
    double[] expected;
    if (returnSequences) {
      expected = new double[B * T * 2 * H];
      for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
          for (int j = 0; j < H; j++) {
            expected[(b * T + t) * 2 * H + j] = yf[b][t][j];
            expected[(b * T + t) * 2 * H + H + j] = yr[b][t][j];
          }
      assertArrayEquals(new int[] {B, T, 2 * H}, y.shape());
    } else {
      // Keras' "last step": forward at t = T-1, reverse at t = 0 (its final state)
      expected = new double[B * 2 * H];
      for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++) {
          expected[b * 2 * H + j] = yf[b][T - 1][j];
          expected[b * 2 * H + H + j] = yr[b][0][j];
        }
      assertArrayEquals(new int[] {B, 2 * H}, y.shape());
    }
    assertClose("output", expected, y);
    double[] hN = new double[2 * B * H], cN = new double[2 * B * H];
    for (int d = 0; d < 2; d++)
      for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++) {
          hN[(d * B + b) * H + j] = hT[d][b][j];
          if (lstm) cN[(d * B + b) * H + j] = cT[d][b][j];
        }
    assertClose("final hidden", hN, r.finalHidden());
    if (r instanceof LSTM l) assertClose("final cell", cN, l.finalCell());
  }

  @Test void lstmBidirectionalSequence() { bidirectional(true, true); }
  @Test void lstmBidirectionalLastStep() { bidirectional(true, false); }
  @Test void gruBidirectionalSequence() { bidirectional(false, true); }
  @Test void gruBidirectionalLastStep() { bidirectional(false, false); }

  /** A deterministic formula weight set (too many numbers to write out) for a 2-layer bidirectional stack, zero initial states. */
  void stacked(boolean lstm) {
    int B = 2, T = 3, I = 2, H = 2, G = lstm ? 4 : 3;
    Recurrent r = lstm ? LSTM.builder().inputSize(I).hiddenSize(H).numLayers(2).bidirectional(true).build()
        : GRU.builder().inputSize(I).hiddenSize(H).numLayers(2).bidirectional(true).build();
    int k = 0;
    double[][] w = new double[r.parameters().size()][];
    for (Parameter p : r.parameters()) {
      double[] v = new double[p.size()];
      for (int i = 0; i < v.length; i++) v[i] = 0.45 * Math.sin(1.7 * i + 2.3 * k + 0.4);
      w[k] = v;
      load(r, p.name(), v);
      k++;
    }
    assertEquals(G * H * 2 * H, r.parameter("weight_ih_l1").size(), "layer 1 reads both directions of layer 0");
    Tensor y = r.forward(tensor(X, B, T, I), false);
    double[][][] x = x3(X, B, T, I);
    double[][][] in = x;
    double[][][] out = null;
    double[] hN = new double[4 * B * H];
    for (int l = 0; l < 2; l++) {
      out = new double[B][T][2 * H];
      for (int d = 0; d < 2; d++) {
        int base = (l * 2 + d) * 4;
        double[][] hT = new double[B][], cT = new double[B][];
        double[][][] yd = reference(lstm, in, w[base], w[base + 1], w[base + 2], w[base + 3], H, d == 1, null, null, hT, lstm ? cT : null);
        for (int b = 0; b < B; b++) {
          for (int t = 0; t < T; t++) System.arraycopy(yd[b][t], 0, out[b][t], d * H, H);
          System.arraycopy(hT[b], 0, hN, ((l * 2 + d) * B + b) * H, H);
        }
      }
      in = out;
    }
    double[] expected = Arrays.stream(out).flatMap(Arrays::stream).flatMapToDouble(Arrays::stream).toArray();
    assertClose("2-layer output", expected, y);
    assertClose("2-layer final hidden", hN, r.finalHidden());
  }

  @Test void lstmTwoLayersBidirectional() { stacked(true); }
  @Test void gruTwoLayersBidirectional() { stacked(false); }
}
