package dev.jnn.nn;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A chain of layers applied in order (PyTorch's {@code nn.Sequential}): the short form of a
 * model. Its children are named {@code "0"}, {@code "1"}, ... so its parameters are
 * {@code "0.weight"}, {@code "0.bias"}, {@code "2.weight"}, as in a PyTorch state dict. To train
 * it, give it the Keras surface with {@code dev.jnn.train.Model}:
 *
 * <pre>{@code
 * Sequential net = new Sequential(new Dense(10, 50), new ReLU(), new Dense(50, 1), new Sigmoid());
 * Model model = Model.of(net).init(42).to(Device.CPU);
 * model.compile(new BceLoss(), Adam.builder().lr(1e-3).build());
 * model.fit(train, 100, 32);
 * }</pre>
 *
 * A Sequential is an ordinary layer: it nests inside a {@link Graph}, another Sequential or a
 * user's composite. Each position holds its own layer object (a layer keeps the state of one
 * forward pass); to apply one layer at several places with shared weights, use a {@link Graph}.
 */
public final class Sequential extends Layer {
  private Layer[] layers = new Layer[0];
  private List<Child> children = List.of();
  private Tensor lastOutput;

  public Sequential(Layer... layers) {
    Objects.requireNonNull(layers, "layers");
    for (Layer l : layers) add(l);
  }

  /** Appends a layer (moved to this chain's device). */
  public Sequential add(Layer layer) {
    Objects.requireNonNull(layer, "Sequential.add: layer is null");
    if (layer == this) throw new IllegalArgumentException("Sequential.add: a model cannot contain itself");
    for (Layer l : layers)
      if (l == layer)
        throw new IllegalArgumentException("Sequential.add: " + layer.name() + " is already in this model; a layer holds the state of one forward "
            + "pass, so use a new instance for each position (or a Graph to apply one layer twice with shared weights)");
    if (layer.allLayers().contains(this)) throw new IllegalArgumentException("Sequential.add: " + layer.name() + " contains this Sequential");
    if (!layer.device().equals(device())) layer.to(device());
    Layer[] a = Arrays.copyOf(layers, layers.length + 1);
    a[layers.length] = layer;
    layers = a;
    List<Child> cs = new ArrayList<>(children);
    cs.add(child(Integer.toString(layers.length - 1), layer));
    children = Collections.unmodifiableList(cs);
    if (layers.length == 1) layer.setInputGradRequired(inputGradRequired());
    return this;
  }

  public List<Layer> layers() { return Collections.unmodifiableList(Arrays.asList(layers)); }

  public Layer layer(int i) { return layers[i]; }

  public int size() { return layers.length; }

  @Override
  public String name() { return "Sequential(" + layers.length + " layers)"; }

  @Override
  public List<Child> children() { return children; }

  @Override
  public Tensor forward(Tensor input, boolean training) {
    if (layers.length == 0) throw new IllegalStateException("Sequential: no layers");
    if (input == null) throw new NullPointerException("Sequential: input is null");
    Tensor x = input;
    for (Layer l : layers) x = l.call(x, training);
    lastOutput = x;
    return x;
  }

  @Override
  public Tensor backward(Tensor gradOutput) {
    if (lastOutput == null) throw new IllegalStateException("Sequential: backward called before forward");
    Tensor g = gradOutput;
    for (int i = layers.length - 1; i >= 0; i--) g = layers[i].callBackward(g);
    return g;
  }

  @Override
  public int[] outputShape(int[] inputShape) {
    int[] s = inputShape.clone();
    for (Layer l : layers) s = l.outputShape(s);
    return s;
  }

  /** The output shape after each layer, keyed by its child name ("0", "1", ...). */
  @Override
  public Map<String, int[]> childOutputShapes(int[][] inputShapes) {
    if (inputShapes.length != 1) return Map.of();
    Map<String, int[]> out = new LinkedHashMap<>();
    int[] s = inputShapes[0].clone();
    for (int i = 0; i < layers.length; i++) {
      s = layers[i].outputShape(s);
      out.put(Integer.toString(i), s.clone());
    }
    return out;
  }

  @Override
  public int inputFeatures() { return layers.length == 0 ? -1 : layers[0].inputFeatures(); }

  @Override
  public Sequential init(long seed) {
    super.init(seed);
    return this;
  }

  @Override
  public Sequential to(Device target) {
    super.to(target);
    return this;
  }

  @Override
  protected void onDeviceChanged() { lastOutput = null; }

  @Override
  public void setInputGradRequired(boolean required) {
    super.setInputGradRequired(required);
    if (layers.length > 0) layers[0].setInputGradRequired(required);
  }
}
