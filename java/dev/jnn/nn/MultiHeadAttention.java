package dev.jnn.nn;

import dev.jnn.backend.BatchedGemm;
import dev.jnn.backend.Gemm;
import dev.jnn.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Multi-head self-attention with PyTorch's {@code nn.MultiheadAttention} parameter layout
 * (batch first): {@code in_proj_weight} (3 d, d) holding the query, key and value projections one
 * above the other, {@code in_proj_bias} (3 d), and the output projection {@code out_proj} (a
 * {@link Dense} (d, d): {@code out_proj.weight}, {@code out_proj.bias}).
 *
 * <pre>{@code
 * MultiHeadAttention mha = MultiHeadAttention.builder(128, 4).dropout(0.1).build();
 * Tensor y = mha.forward(x, true);                          // x [B, T, 128] -> y [B, T, 128]
 * MultiHeadAttention masked = MultiHeadAttention.builder(128, 4).maskInput(true).build();
 * Tensor y2 = masked.forward(new Tensor[] {x, keep}, true); // keep [B, T]: 1 = token, 0 = padding
 * Tensor p = masked.attentionWeights();                     // [B, heads, T, T], valid until the next forward
 * }</pre>
 *
 * For each batch b and head h (head size hd = d / heads), with Q, K, V the head's columns of
 * {@code qkv = x W_in^T + b_in}: {@code P = softmax(Q K^T / sqrt(hd))} over the keys, where padded
 * keys (mask 0) and, with {@code causal}, later keys get probability 0; {@code P} goes through
 * dropout in training; {@code O = P V} fills the head's columns of (B, T, d), and
 * {@code y = out_proj(O)}.
 *
 * <p>Kernels: {@code gemm} (the projections), {@code gemm_batched} (Q K^T and P V and their
 * gradients, one call per head over the batch, reading the heads in place in the (B, T, 3 d)
 * projection: no transposes), {@code masked_softmax_forward}, {@code softmax_backward},
 * {@code dropout_forward/backward} (the child {@code dropout}). Buffers, including the
 * (B, heads, T, T) scores, are allocated once per input shape: a steady step allocates none.
 * With {@link Builder#maskInput(boolean)} the layer takes two inputs (x and the key mask; the mask
 * gets no gradient), so a {@link Graph} can feed it a mask input.
 */
public final class MultiHeadAttention extends Layer {
  private final int d, heads, hd;
  private final boolean causal, maskInput;
  private final float dropoutP;
  private final Parameter inProjWeight, inProjBias;
  private final Dense outProj;
  private final Dropout dropout;
  private final String name;
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Buffers last;
  private Tensor lastInput, lastInput2d, lastProbs, lastDropped;

  /** Options: model width, heads, dropout on the attention probabilities, causal masking, a key-mask input. */
  public static final class Builder {
    private final int d, heads;
    private double dropout;
    private boolean causal, maskInput;

    private Builder(int d, int heads) {
      this.d = d;
      this.heads = heads;
    }

    /** Dropout probability on the attention weights in training (default 0). */
    public Builder dropout(double p) { dropout = p; return this; }
    /** Query i attends to keys 0..i only (default false). */
    public Builder causal(boolean c) { causal = c; return this; }
    /** Take the key mask (B, T) of 1 = attend, 0 = padding as a second input (default false). */
    public Builder maskInput(boolean m) { maskInput = m; return this; }

    public MultiHeadAttention build() { return new MultiHeadAttention(this); }
  }

  public static Builder builder(int embedDim, int numHeads) { return new Builder(embedDim, numHeads); }

  private MultiHeadAttention(Builder b) {
    if (b.d < 1 || b.heads < 1 || b.d % b.heads != 0)
      throw new IllegalArgumentException("MultiHeadAttention(" + b.d + ", heads " + b.heads + "): embedDim must be >= 1 and divisible by numHeads >= 1");
    if (!(b.dropout >= 0 && b.dropout < 1)) throw new IllegalArgumentException("MultiHeadAttention: dropout must be in [0, 1), got " + b.dropout);
    d = b.d;
    heads = b.heads;
    hd = d / heads;
    causal = b.causal;
    maskInput = b.maskInput;
    dropoutP = (float) b.dropout;
    name = "MultiHeadAttention(" + d + ", heads " + heads + (causal ? ", causal" : "") + (dropoutP > 0 ? ", dropout " + dropoutP : "") + ")";
    inProjWeight = new Parameter("in_proj_weight", device(), 3 * d, d);
    inProjBias = new Parameter("in_proj_bias", device(), 3 * d);
    outProj = new Dense(d, d);
    dropout = new Dropout(dropoutP);
    initialize(new SplittableRandom(0));
  }

  public int embedDim() { return d; }
  public int numHeads() { return heads; }
  public boolean causal() { return causal; }
  public boolean maskInput() { return maskInput; }
  public float dropoutP() { return dropoutP; }
  public Parameter inProjWeight() { return inProjWeight; }
  public Parameter inProjBias() { return inProjBias; }
  public Dense outProj() { return outProj; }

  @Override public String name() { return name; }
  @Override public int arity() { return maskInput ? 2 : 1; }
  @Override public int inputFeatures() { return d; }
  @Override protected List<Parameter> ownParameters() { return List.of(inProjWeight, inProjBias); }
  @Override public List<Child> children() { return List.of(child("out_proj", outProj), child("dropout", dropout)); }

  /** in_proj_weight Xavier uniform over the (3 d, d) matrix and zero biases (PyTorch's _reset_parameters); then out_proj and dropout. */
  @Override
  public void initialize(SplittableRandom rng) {
    Tensor w = inProjWeight.value();
    writeFromHost(w, (a, off) -> Init.XAVIER_UNIFORM.fill(a, off, w.size(), d, 3 * d, rng));
    inProjBias.value().fill(0f);
    super.initialize(rng);
    outProj.bias().value().fill(0f);
  }

  /** The attention probabilities of the last forward (B, heads, T, T), after masking and before dropout; the layer's buffer. */
  public Tensor attentionWeights() {
    if (lastProbs == null) throw new IllegalStateException(name + ": no forward yet");
    return lastProbs;
  }

  // ---------------------------------------------------------------- shapes

  private void checkX(int[] s) {
    if (s.length != 3 || s[2] != d)
      throw new IllegalArgumentException(name + ": input " + shapeString(s) + " must be [batch, steps, " + d + "]");
  }

  @Override
  public int[] outputShape(int[] s) {
    checkX(s);
    return s.clone();
  }

  @Override
  public int[] outputShape(int[][] s) {
    if (s.length != arity()) throw new IllegalArgumentException(name + ": takes " + arity() + " input(s), got " + s.length);
    checkX(s[0]);
    if (s.length == 2 && (s[1].length != 2 || !Graph.sameDim(s[1][0], s[0][0]) || !Graph.sameDim(s[1][1], s[0][1])))
      throw new IllegalArgumentException(name + ": key mask " + shapeString(s[1]) + " must be [batch, steps] of the input " + shapeString(s[0]));
    return s[0].clone();
  }

  // ---------------------------------------------------------------- buffers of one input shape

  private static final class Buffers implements AutoCloseable {
    final int batch, steps;
    final Tensor qkv, qkv2d, scores, probs, dprobs, dscores, attn, dqkv, dqkv2d, dx, dx2d;
    final BatchedGemm[] qk, pv, dpv, dv, dq, dk;   // one per head

    Buffers(MultiHeadAttention l, int batch, int steps) {
      this.batch = batch;
      this.steps = steps;
      int d = l.d, h = l.heads, hd = l.hd, t = steps;
      qkv = Tensor.zeros(l.device(), batch, t, 3 * d);
      qkv2d = qkv.reshape(batch * t, 3 * d);
      scores = Tensor.zeros(l.device(), batch, h, t, t);
      probs = Tensor.zeros(l.device(), batch, h, t, t);
      dprobs = Tensor.zeros(l.device(), batch, h, t, t);
      dscores = Tensor.zeros(l.device(), batch, h, t, t);
      attn = Tensor.zeros(l.device(), batch, t, d);
      dqkv = Tensor.zeros(l.device(), batch, t, 3 * d);
      dqkv2d = dqkv.reshape(batch * t, 3 * d);
      dx = Tensor.zeros(l.device(), batch, t, d);
      dx2d = dx.reshape(batch * t, d);
      qk = new BatchedGemm[h];
      pv = new BatchedGemm[h];
      dpv = new BatchedGemm[h];
      dv = new BatchedGemm[h];
      dq = new BatchedGemm[h];
      dk = new BatchedGemm[h];
      long rowQkv = (long) t * 3 * d, rowD = (long) t * d, tt = (long) t * t, htt = (long) h * tt;
      float scale = (float) (1.0 / Math.sqrt(hd));
      for (int i = 0; i < h; i++) {
        long q = (long) i * hd, k = d + (long) i * hd, v = 2L * d + (long) i * hd, s = i * tt, o = (long) i * hd;
        // S_bi (t, t) = Q_bi K_bi^T, over b: Q, K read in place in qkv (rows 3d apart)
        qk[i] = BatchedGemm.dense(false, true, batch, t, t, hd).withA(q, 3 * d, rowQkv).withB(k, 3 * d, rowQkv).withC(s, t, htt);
        // O_bi (t, hd) = P_bi V_bi, written into head i's columns of attn (rows d apart)
        pv[i] = BatchedGemm.dense(false, false, batch, t, hd, t).withA(s, t, htt).withB(v, 3 * d, rowQkv).withC(o, d, rowD);
        // dP_bi (t, t) = dO_bi V_bi^T
        dpv[i] = BatchedGemm.dense(false, true, batch, t, t, hd).withA(o, d, rowD).withB(v, 3 * d, rowQkv).withC(s, t, htt);
        // dV_bi (t, hd) = P_bi^T dO_bi
        dv[i] = BatchedGemm.dense(true, false, batch, t, hd, t).withA(s, t, htt).withB(o, d, rowD).withC(v, 3 * d, rowQkv);
        // dQ_bi = scale dS_bi K_bi; dK_bi = scale dS_bi^T Q_bi (dS: the gradient of the unscaled scores' softmax input)
        dq[i] = BatchedGemm.dense(false, false, batch, t, hd, t).withA(s, t, htt).withB(k, 3 * d, rowQkv).withC(q, 3 * d, rowQkv).withAlpha(scale);
        dk[i] = BatchedGemm.dense(true, false, batch, t, hd, t).withA(s, t, htt).withB(q, 3 * d, rowQkv).withC(k, 3 * d, rowQkv).withAlpha(scale);
      }
    }

    @Override public void close() { Tensor.closeAll(qkv, scores, probs, dprobs, dscores, attn, dqkv, dx); }
  }

  // ---------------------------------------------------------------- forward

  @Override
  public Tensor forward(Tensor x, boolean training) { return attend(x, null, training); }

  @Override
  public Tensor forward(Tensor[] inputs, boolean training) {
    Tensor mask = keyMaskOf(this, inputs);
    return attend(inputs[0], mask, training);
  }

  private Tensor attend(Tensor x, Tensor mask, boolean training) {
    checkInput(x);
    if (x.rank() != 3 || x.dim(2) != d) throw new IllegalArgumentException(name + ": input " + x.shapeString() + " must be [batch, steps, " + d + "]");
    int batch = x.dim(0), t = x.dim(1);
    if (t == 0 || batch == 0) throw new IllegalArgumentException(name + ": input " + x.shapeString() + " is empty");
    if (mask != null) {
      checkDevice("key mask", mask);
      if (mask.rank() != 2 || mask.dim(0) != batch || mask.dim(1) != t)
        throw new IllegalArgumentException(name + ": key mask " + mask.shapeString() + " must be [" + batch + ", " + t + "] for input " + x.shapeString());
    }
    Buffers b = cache.get(x);
    if (b == null) b = cache.put(x, new Buffers(this, batch, t));
    Tensor x2d = x == lastInput && lastInput2d != null ? lastInput2d : x.reshape(batch * t, d);   // the same input tensor: its view is reused
    backend.gemm(Gemm.NT, x2d, inProjWeight.value(), inProjBias.value(), b.qkv2d);
    for (int i = 0; i < heads; i++) backend.gemmBatched(b.qk[i], b.qkv, b.qkv, b.scores);
    backend.maskedSoftmaxForward(b.scores, mask, causal, (float) (1.0 / Math.sqrt(hd)), b.probs);
    Tensor p = dropout.call(b.probs, training);   // the probabilities themselves when not dropping
    for (int i = 0; i < heads; i++) backend.gemmBatched(b.pv[i], p, b.qkv, b.attn);
    Tensor y = outProj.call(b.attn, training);
    lastInput = x;
    lastInput2d = x2d;
    lastProbs = b.probs;
    last = b;
    lastDropped = p;
    return y;
  }

  // ---------------------------------------------------------------- backward

  @Override
  public Tensor backward(Tensor dy) {
    if (last == null) throw new IllegalStateException(name + ": backward called before forward (no forward input to differentiate)");
    Buffers b = last;
    Tensor dattn = outProj.callBackward(dy);                                       // (B, T, d)
    for (int i = 0; i < heads; i++) backend.gemmBatched(b.dpv[i], dattn, b.qkv, b.dprobs);   // d(dropped P)
    for (int i = 0; i < heads; i++) backend.gemmBatched(b.dv[i], lastDropped, dattn, b.dqkv);
    Tensor dp = dropout.callBackward(b.dprobs);
    backend.softmaxBackward(b.probs, dp, b.dscores);
    for (int i = 0; i < heads; i++) {
      backend.gemmBatched(b.dq[i], b.dscores, b.qkv, b.dqkv);
      backend.gemmBatched(b.dk[i], b.dscores, b.qkv, b.dqkv);
    }
    backend.gemm(Gemm.TN, b.dqkv2d, lastInput2d, null, inProjWeight.grad());
    backend.sumRows(b.dqkv2d, inProjBias.grad());
    if (!inputGradRequired()) return null;
    backend.gemm(Gemm.NN, b.dqkv2d, inProjWeight.value(), null, b.dx2d);
    return b.dx;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    last = null;
    lastInput = lastInput2d = lastProbs = lastDropped = null;
  }

  /** The configuration a checkpoint keeps (PyTorch's argument names). */
  static void writeConfig(MultiHeadAttention m, LayerConfig c) {
    c.put("embed_dim", m.d).put("num_heads", m.heads).put("dropout", m.dropoutP).put("causal", m.causal).put("mask_input", m.maskInput);
  }

  static MultiHeadAttention fromConfig(LayerConfig c) {
    return builder(c.getInt("embed_dim"), c.getInt("num_heads")).dropout(c.getFloat("dropout")).causal(c.getBoolean("causal"))
        .maskInput(c.getBoolean("mask_input")).build();
  }

}
