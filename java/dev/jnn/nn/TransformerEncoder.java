package dev.jnn.nn;

import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A stack of {@link TransformerEncoderLayer}s (PyTorch's {@code nn.TransformerEncoder}), each
 * given the same key mask, with an optional final {@link LayerNorm} (for pre-LN stacks).
 * Parameter names follow PyTorch: {@code layers.0.self_attn.in_proj_weight}, ...,
 * {@code norm.weight}.
 *
 * <pre>{@code
 * TransformerEncoder enc = new TransformerEncoder(
 *     TransformerEncoderLayer.builder(128, 4).feedForward(512).activation(GELU).maskInput(true), 2, null);
 * Tensor h = enc.forward(new Tensor[] {x, keep}, true);      // x [B, T, 128], keep [B, T]
 * }</pre>
 */
public final class TransformerEncoder extends Layer {
  private final List<TransformerEncoderLayer> layers;
  private final Sequential container;   // names the layers "layers.0", "layers.1", ... (never run as a chain)
  private final LayerNorm norm;
  private final List<Child> children;
  private final Tensor[] in = new Tensor[2];
  private final String name;
  private Tensor lastOut;

  /** {@code numLayers} layers built from the builder (each its own weights), then {@code norm} (may be null). */
  public TransformerEncoder(TransformerEncoderLayer.Builder layer, int numLayers, LayerNorm norm) {
    if (numLayers < 1) throw new IllegalArgumentException("TransformerEncoder: numLayers must be >= 1, got " + numLayers);
    List<TransformerEncoderLayer> ls = new ArrayList<>();
    for (int i = 0; i < numLayers; i++) ls.add(layer.build());
    this.layers = List.copyOf(ls);
    this.container = new Sequential(ls.toArray(new Layer[0]));
    this.norm = norm;
    this.children = norm == null ? List.of(child("layers", container)) : List.of(child("layers", container), child("norm", norm));
    TransformerEncoderLayer l0 = ls.get(0);
    if (norm != null && norm.features() != l0.dModel())
      throw new IllegalArgumentException("TransformerEncoder: norm " + norm.name() + " does not fit d_model " + l0.dModel());
    this.name = "TransformerEncoder(" + numLayers + " x " + l0.name() + (norm == null ? "" : ", " + norm.name()) + ")";
  }

  public List<TransformerEncoderLayer> layers() { return layers; }
  public LayerNorm norm() { return norm; }

  @Override public String name() { return name; }
  @Override public List<Child> children() { return children; }
  @Override public int arity() { return layers.get(0).arity(); }
  @Override public int inputFeatures() { return layers.get(0).dModel(); }
  @Override public int[] outputShape(int[] s) { return layers.get(0).outputShape(s); }
  @Override public int[] outputShape(int[][] s) { return layers.get(0).outputShape(s); }

  @Override
  public Tensor forward(Tensor x, boolean training) { return run(x, null, training); }

  @Override
  public Tensor forward(Tensor[] inputs, boolean training) {
    Tensor mask = keyMaskOf(this, inputs);
    return run(inputs[0], mask, training);
  }

  private Tensor run(Tensor x, Tensor mask, boolean training) {
    if (x == null) throw new NullPointerException(name + ": input is null");
    Tensor h = x;
    for (int i = 0, n = layers.size(); i < n; i++) {   // indexed: no iterator per step
      TransformerEncoderLayer l = layers.get(i);
      if (mask == null) {
        h = l.call(h, training);
      } else {
        in[0] = h;
        in[1] = mask;
        h = l.call(in, training);
      }
    }
    if (norm != null) h = norm.call(h, training);
    lastOut = h;
    return h;
  }

  @Override
  public Tensor backward(Tensor dy) {
    if (lastOut == null) throw new IllegalStateException(name + ": backward called before forward");
    Tensor g = norm == null ? dy : norm.callBackward(dy);
    for (int i = layers.size() - 1; i >= 0; i--) g = layers.get(i).callBackward(g);
    return g;
  }

  @Override
  public void setInputGradRequired(boolean required) {
    super.setInputGradRequired(required);
    layers.get(0).setInputGradRequired(required);
  }

  @Override
  protected void onDeviceChanged() { lastOut = null; }

  static void writeConfig(TransformerEncoder e, LayerConfig c) {
    c.putLayer("encoder_layer", e.layers.get(0)).put("num_layers", e.layers.size());
    if (e.norm != null) c.putLayer("norm", e.norm);
  }

  static TransformerEncoder fromConfig(LayerConfig c) {
    LayerConfig l = c.getConfig("encoder_layer").getConfig("config");
    TransformerEncoderLayer.Builder b = TransformerEncoderLayer.builder(l.getInt("d_model"), l.getInt("nhead")).feedForward(l.getInt("dim_feedforward"))
        .dropout(l.getFloat("dropout")).activation(TransformerEncoderLayer.Activation.valueOf(l.getString("activation"))).normFirst(l.getBoolean("norm_first"))
        .layerNormEps(l.getDouble("layer_norm_eps")).maskInput(l.getBoolean("mask_input")).causal(l.getBoolean("causal"));
    return new TransformerEncoder(b, c.getInt("num_layers"), c.has("norm") ? (LayerNorm) c.getLayer("norm") : null);
  }
}
