package dev.jnn.profile;

import dev.jnn.nn.Layer;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Short, stable names for layers in profiles and NVTX ranges: the class name and its occurrence
 * number in model order, counted from 1 per class ({@code Conv2d#1}, {@code Conv2d#2},
 * {@code ReLU#1}, ...), like Keras' {@code conv2d_1}.
 *
 * <pre>{@code
 * LayerNames names = new LayerNames();
 * names.assign(model);                  // walks Layer.children() in pre-order, however nested
 * names.of(model.layer(0));             // "Conv2d#1"
 * }</pre>
 *
 * Layers seen for the first time by {@link #of} get the next number of their class. Thread-safe.
 */
public final class LayerNames {
  private final Map<Layer, String> names = new IdentityHashMap<>();
  private final Map<String, Integer> counters = new HashMap<>();

  /** Names every layer of model in pre-order (the model itself first). */
  public synchronized void assign(Layer model) {
    for (Layer l : model.allLayers()) of(l);
  }

  /** The layer's name, assigning the next number of its class if it has none yet. */
  public synchronized String of(Layer layer) {
    String n = names.get(layer);
    if (n == null) {
      String cls = layer.getClass().getSimpleName();
      int k = counters.merge(cls, 1, Integer::sum);
      n = cls + "#" + k;
      names.put(layer, n);
    }
    return n;
  }
}
