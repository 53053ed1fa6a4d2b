package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.List;
import java.util.Locale;

/**
 * One transformer encoder layer as PyTorch's {@code nn.TransformerEncoderLayer} (batch first):
 * self-attention and a feed-forward block, each with dropout, a residual connection and layer
 * normalization. Post-LN by default, as BERT and PyTorch's default:
 *
 * <pre>
 *   x = norm1(x + dropout1(self_attn(x)))
 *   x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))
 * </pre>
 *
 * and with {@code normFirst}: {@code x = x + dropout1(self_attn(norm1(x)))},
 * {@code x = x + dropout2(ff(norm2(x)))}. Children carry PyTorch's names, so the state dict maps
 * one to one: {@code self_attn.in_proj_weight}, {@code self_attn.out_proj.weight},
 * {@code linear1.weight}, {@code linear2.weight}, {@code norm1.weight}, {@code norm2.bias}...
 *
 * <pre>{@code
 * TransformerEncoderLayer l = TransformerEncoderLayer.builder(128, 4).feedForward(512).dropout(0.1)
 *     .activation(TransformerEncoderLayer.Activation.GELU).maskInput(true).build();
 * Tensor y = l.forward(new Tensor[] {x, keep}, true);   // x [B, T, 128], keep [B, T] (1 = token, 0 = padding)
 * }</pre>
 */
public final class TransformerEncoderLayer extends Layer {
  /** The feed-forward activation: ReLU (PyTorch's default) or GELU (BERT's). */
  public enum Activation { RELU, GELU }

  private final int d, heads, ff;
  private final float dropoutP;
  private final double eps;
  private final Activation activationKind;
  private final boolean normFirst;
  private final MultiHeadAttention selfAttn;
  private final Dense linear1, linear2;
  private final Layer activation;
  private final Dropout dropout, dropout1, dropout2;
  private final LayerNorm norm1, norm2;
  private final String name;
  private final List<Child> children;
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private final Tensor[] attnIn = new Tensor[2];
  private Buffers last;

  /** Options, PyTorch's defaults: feed-forward 2048, dropout 0.1, ReLU, post-LN, eps 1e-5, no mask input, not causal. */
  public static final class Builder {
    private final int d, heads;
    private int ff = 2048;
    private double dropout = 0.1, eps = LayerNorm.DEFAULT_EPS;
    private Activation activation = Activation.RELU;
    private boolean normFirst, maskInput, causal;

    private Builder(int d, int heads) {
      this.d = d;
      this.heads = heads;
    }

    public Builder feedForward(int dimFeedforward) { ff = dimFeedforward; return this; }
    public Builder dropout(double p) { dropout = p; return this; }
    public Builder activation(Activation a) { activation = a; return this; }
    /** Pre-LN (normalize before attention and feed-forward) instead of post-LN. */
    public Builder normFirst(boolean n) { normFirst = n; return this; }
    public Builder layerNormEps(double e) { eps = e; return this; }
    /** Take a key mask (B, T) of 1 = token, 0 = padding as a second input. */
    public Builder maskInput(boolean m) { maskInput = m; return this; }
    /** Causal self-attention (query i sees keys 0..i). */
    public Builder causal(boolean c) { causal = c; return this; }

    public TransformerEncoderLayer build() { return new TransformerEncoderLayer(this); }
  }

  public static Builder builder(int dModel, int numHeads) { return new Builder(dModel, numHeads); }

  private TransformerEncoderLayer(Builder b) {
    if (b.ff < 1) throw new IllegalArgumentException("TransformerEncoderLayer: feedForward must be >= 1, got " + b.ff);
    if (!(b.dropout >= 0 && b.dropout < 1)) throw new IllegalArgumentException("TransformerEncoderLayer: dropout must be in [0, 1), got " + b.dropout);
    d = b.d;
    heads = b.heads;
    ff = b.ff;
    dropoutP = (float) b.dropout;
    eps = b.eps;
    activationKind = b.activation;
    normFirst = b.normFirst;
    selfAttn = MultiHeadAttention.builder(b.d, b.heads).dropout(b.dropout).maskInput(b.maskInput).causal(b.causal).build();
    linear1 = new Dense(d, ff);
    linear2 = new Dense(ff, d);
    activation = activationKind == Activation.GELU ? new GELU() : new ReLU();
    dropout = new Dropout(dropoutP);
    dropout1 = new Dropout(dropoutP);
    dropout2 = new Dropout(dropoutP);
    norm1 = new LayerNorm(d, eps);
    norm2 = new LayerNorm(d, eps);
    name = "TransformerEncoderLayer(" + d + ", heads " + heads + ", ff " + ff + ", " + activationKind.name().toLowerCase(Locale.ROOT)
        + (normFirst ? ", norm first" : "") + ")";
    children = List.of(child("self_attn", selfAttn), child("linear1", linear1), child("dropout", dropout), child("linear2", linear2),
        child("norm1", norm1), child("norm2", norm2), child("dropout1", dropout1), child("dropout2", dropout2), child("activation", activation));
  }

  public int dModel() { return d; }
  public int numHeads() { return heads; }
  public int feedForward() { return ff; }
  public float dropoutP() { return dropoutP; }
  public double layerNormEps() { return eps; }
  public Activation activationKind() { return activationKind; }
  public boolean normFirst() { return normFirst; }
  public MultiHeadAttention selfAttention() { return selfAttn; }

  @Override public String name() { return name; }
  @Override public List<Child> children() { return children; }
  @Override public int arity() { return selfAttn.arity(); }
  @Override public int inputFeatures() { return d; }

  @Override public int[] outputShape(int[] s) { return selfAttn.outputShape(s); }
  @Override public int[] outputShape(int[][] s) { return selfAttn.outputShape(s); }

  private static final class Buffers implements AutoCloseable {
    final Tensor s1, s2, g1, g2;   // residual sums and the summed gradients of the two fan-outs
    Buffers(TransformerEncoderLayer l, Tensor x) {
      s1 = Tensor.zeros(l.device(), x.shape());
      s2 = Tensor.zeros(l.device(), x.shape());
      g1 = Tensor.zeros(l.device(), x.shape());
      g2 = Tensor.zeros(l.device(), x.shape());
    }
    @Override public void close() { Tensor.closeAll(s1, s2, g1, g2); }
  }

  @Override
  public Tensor forward(Tensor x, boolean training) { return run(x, null, training); }

  @Override
  public Tensor forward(Tensor[] inputs, boolean training) {
    Tensor mask = keyMaskOf(this, inputs);
    return run(inputs[0], mask, training);
  }

  private Tensor attention(Tensor in, Tensor mask, boolean training) {
    if (mask == null) return selfAttn.call(in, training);
    attnIn[0] = in;
    attnIn[1] = mask;
    return selfAttn.call(attnIn, training);
  }

  /** The feed-forward branch: dropout2(linear2(dropout(activation(linear1(h))))). */
  private Tensor feedForward(Tensor h, boolean training) {
    return dropout2.call(linear2.call(dropout.call(activation.call(linear1.call(h, training), training), training), training), training);
  }

  private Tensor feedForwardBackward(Tensor dy) {
    return linear1.callBackward(activation.callBackward(dropout.callBackward(linear2.callBackward(dropout2.callBackward(dy)))));
  }

  private Tensor run(Tensor x, Tensor mask, boolean training) {
    checkInput(x);
    if (x.rank() != 3 || x.dim(2) != d) outputShape(x.shape());   // throws, naming the shape
    Buffers b = cache.get(x);
    if (b == null) b = cache.put(x, new Buffers(this, x));
    Tensor y;
    if (!normFirst) {
      Tensor a = dropout1.call(attention(x, mask, training), training);
      backend.add(x, a, b.s1);
      Tensor h = norm1.call(b.s1, training);
      backend.add(h, feedForward(h, training), b.s2);
      y = norm2.call(b.s2, training);
    } else {
      Tensor a = dropout1.call(attention(norm1.call(x, training), mask, training), training);
      backend.add(x, a, b.s1);
      backend.add(b.s1, feedForward(norm2.call(b.s1, training), training), b.s2);
      y = b.s2;
    }
    last = b;
    return y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (last == null) throw new IllegalStateException(name + ": backward called before forward (no forward input to differentiate)");
    Buffers b = last;
    if (!normFirst) {
      Tensor ds2 = norm2.callBackward(dy);                        // s2 = h + ff(h): h fans out
      backend.add(ds2, feedForwardBackward(ds2), b.g1);
      Tensor ds1 = norm1.callBackward(b.g1);                      // s1 = x + attn(x): x fans out
      backend.add(ds1, selfAttn.callBackward(dropout1.callBackward(ds1)), b.g2);
    } else {
      backend.add(dy, norm2.callBackward(feedForwardBackward(dy)), b.g1);                                  // s2 = s1 + ff(norm2(s1))
      backend.add(b.g1, norm1.callBackward(selfAttn.callBackward(dropout1.callBackward(b.g1))), b.g2);   // s1 = x + attn(norm1(x))
    }
    return inputGradRequired() ? b.g2 : null;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    last = null;
  }

  static void writeConfig(TransformerEncoderLayer l, LayerConfig c) {
    c.put("d_model", l.d).put("nhead", l.heads).put("dim_feedforward", l.ff).put("dropout", l.dropoutP).put("activation", l.activationKind.name())
        .put("norm_first", l.normFirst).put("layer_norm_eps", l.eps).put("mask_input", l.selfAttn.maskInput()).put("causal", l.selfAttn.causal());
  }

  static TransformerEncoderLayer fromConfig(LayerConfig c) {
    return builder(c.getInt("d_model"), c.getInt("nhead")).feedForward(c.getInt("dim_feedforward")).dropout(c.getFloat("dropout"))
        .activation(Activation.valueOf(c.getString("activation"))).normFirst(c.getBoolean("norm_first")).layerNormEps(c.getDouble("layer_norm_eps"))
        .maskInput(c.getBoolean("mask_input")).causal(c.getBoolean("causal")).build();
  }
}
