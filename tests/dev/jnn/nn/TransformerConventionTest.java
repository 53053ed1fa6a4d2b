package dev.jnn.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Attention and the encoder layer against formulas written independently here in double
 * precision from PyTorch-layout weights ({@code in_proj_weight} rows q, k, v; batch first; post-LN
 * {@code norm1(x + sa(x))}, {@code norm2(h + linear2(relu(linear1(h))))}), on the java and cpu
 * backends, with key padding at both ends and causal masking.
 */
class TransformerConventionTest {
  static final int B = 2, T = 4, D = 6, H = 2, FF = 5;
  static final float[] KEEP = {0, 1, 1, 0, 1, 1, 1, 1};   // batch 0: padding at both ends

  /** Fills every parameter with seeded U(-0.5, 0.5) (LayerNorm weights around 1), as a PyTorch state dict could. */
  static void randomize(Layer l, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (Map.Entry<String, Parameter> e : l.namedParameters().entrySet()) {
      float[] v = new float[e.getValue().size()];
      boolean norm = e.getKey().contains("norm") && e.getKey().endsWith("weight");
      for (int i = 0; i < v.length; i++) v[i] = (float) ((norm ? 1 : 0) + rng.nextDouble() - 0.5);
      e.getValue().value().copyFrom(v, 0);
    }
  }

  static double[] d(Tensor t) {
    float[] f = t.toArray();
    double[] r = new double[f.length];
    for (int i = 0; i < f.length; i++) r[i] = f[i];
    return r;
  }

  /** y (rows, out) = x (rows, in) W^T + b, W (out, in). */
  static double[] linear(double[] x, int rows, int in, double[] w, double[] b, int out) {
    double[] y = new double[rows * out];
    for (int r = 0; r < rows; r++)
      for (int o = 0; o < out; o++) {
        double s = b[o];
        for (int i = 0; i < in; i++) s += x[r * in + i] * w[o * in + i];
        y[r * out + o] = s;
      }
    return y;
  }

  /** Multi-head self-attention, batch first, PyTorch's layout; keep (B, T) or null; probs out (B, H, T, T). */
  static double[] mha(double[] x, double[] inW, double[] inB, double[] outW, double[] outB, float[] keep, boolean causal, double[] probs) {
    int hd = D / H;
    double[] qkv = linear(x, B * T, D, inW, inB, 3 * D), o = new double[B * T * D];
    for (int b = 0; b < B; b++)
      for (int h = 0; h < H; h++)
        for (int i = 0; i < T; i++) {
          double[] s = new double[T];
          double max = Double.NEGATIVE_INFINITY;
          for (int j = 0; j < T; j++) {
            boolean out = (keep != null && keep[b * T + j] == 0) || (causal && j > i);
            double dot = 0;
            for (int c = 0; c < hd; c++) dot += qkv[(b * T + i) * 3 * D + h * hd + c] * qkv[(b * T + j) * 3 * D + D + h * hd + c];
            s[j] = out ? Double.NEGATIVE_INFINITY : dot / Math.sqrt(hd);
            max = Math.max(max, s[j]);
          }
          if (max == Double.NEGATIVE_INFINITY) continue;   // every key left out: probabilities and output 0 (PyTorch would give NaN)
          double sum = 0;
          for (int j = 0; j < T; j++) sum += s[j] = Math.exp(s[j] - max);
          for (int j = 0; j < T; j++) {
            double p = s[j] / sum;
            probs[((b * H + h) * T + i) * T + j] = p;
            for (int c = 0; c < hd; c++) o[(b * T + i) * D + h * hd + c] += p * qkv[(b * T + j) * 3 * D + 2 * D + h * hd + c];
          }
        }
    return linear(o, B * T, D, outW, outB, D);
  }

  static double[] layerNorm(double[] x, double[] g, double[] b, double eps) {
    double[] y = new double[x.length];
    for (int r = 0; r < x.length / D; r++) {
      double mu = 0, var = 0;
      for (int c = 0; c < D; c++) mu += x[r * D + c] / D;
      for (int c = 0; c < D; c++) var += (x[r * D + c] - mu) * (x[r * D + c] - mu) / D;
      for (int c = 0; c < D; c++) y[r * D + c] = (x[r * D + c] - mu) / Math.sqrt(var + eps) * g[c] + b[c];
    }
    return y;
  }

  static double[] p(Layer l, String name) { return d(l.namedParameters().get(name).value()); }

  static void assertClose(double[] want, Tensor got, String what) {
    double[] g = d(got);
    assertEquals(want.length, g.length, what);
    for (int i = 0; i < want.length; i++) assertEquals(want[i], g[i], 2e-5 * (1 + Math.abs(want[i])), what + "[" + i + "]");
  }

  @ParameterizedTest
  @CsvSource({"java,false,false", "java,true,true", "cpu,false,false", "cpu,true,false", "cpu,true,true"})
  void attentionMatchesTheFormula(String device, boolean masked, boolean causal) {
    MultiHeadAttention a = MultiHeadAttention.builder(D, H).maskInput(masked).causal(causal).build();
    randomize(a, 3);
    a.to(Device.parse(device));
    Tensor x = GraphTest.randn(4, B, T, D).to(a.device()), keep = Tensor.of(KEEP, B, T).to(a.device());
    double[] probs = new double[B * H * T * T];
    double[] want = mha(d(x), p(a, "in_proj_weight"), p(a, "in_proj_bias"), p(a, "out_proj.weight"), p(a, "out_proj.bias"), masked ? KEEP : null, causal,
        probs);
    Tensor y = masked ? a.forward(new Tensor[] {x, keep}, false) : a.forward(x, false);
    assertClose(want, y, "attention output");
    assertClose(probs, a.attentionWeights(), "attention weights");
  }

  @ParameterizedTest
  @CsvSource({"java", "cpu"})
  void encoderLayerMatchesTheFormula(String device) {
    TransformerEncoderLayer l = TransformerEncoderLayer.builder(D, H).feedForward(FF).dropout(0.1).maskInput(true).build();
    randomize(l, 5);
    l.to(Device.parse(device));
    Tensor x = GraphTest.randn(6, B, T, D).to(l.device()), keep = Tensor.of(KEEP, B, T).to(l.device());
    double[] xs = d(x), probs = new double[B * H * T * T];
    double[] sa = mha(xs, p(l, "self_attn.in_proj_weight"), p(l, "self_attn.in_proj_bias"), p(l, "self_attn.out_proj.weight"),
        p(l, "self_attn.out_proj.bias"), KEEP, false, probs);
    double[] s1 = new double[xs.length];
    for (int i = 0; i < s1.length; i++) s1[i] = xs[i] + sa[i];
    double[] h = layerNorm(s1, p(l, "norm1.weight"), p(l, "norm1.bias"), 1e-5);
    double[] f = linear(h, B * T, D, p(l, "linear1.weight"), p(l, "linear1.bias"), FF);
    for (int i = 0; i < f.length; i++) f[i] = Math.max(0, f[i]);
    double[] g = linear(f, B * T, FF, p(l, "linear2.weight"), p(l, "linear2.bias"), D);
    for (int i = 0; i < g.length; i++) g[i] += h[i];
    double[] want = layerNorm(g, p(l, "norm2.weight"), p(l, "norm2.bias"), 1e-5);
    assertClose(want, l.forward(new Tensor[] {x, keep}, false), "encoder layer (eval: no dropout)");
  }
}
