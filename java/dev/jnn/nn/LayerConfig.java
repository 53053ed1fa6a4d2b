package dev.jnn.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The configuration of one layer as a checkpoint stores it: an ordered map of named values
 * (integers, floats, booleans, strings, integer arrays, nested layers and lists of nested
 * layers), with typed getters whose errors name the field. {@link LayerRegistry} writes a layer
 * into one and rebuilds the layer from it; the checkpoint code turns it into JSON and back
 * (docs/ARCHITECTURE.md, "Checkpoints"). Floats are kept as the double of their float value, so
 * a round trip through JSON is exact.
 *
 * <pre>{@code
 * LayerConfig c = new LayerConfig().put("in_features", 10).put("scale", 0.5f).put("kernel_size", new int[] {3, 3});
 * int in = c.getInt("in_features");            // 10
 * float s = c.getFloat("scale");               // 0.5f
 * int[] k = c.getInts("kernel_size");          // {3, 3}
 * }</pre>
 */
public final class LayerConfig {
  private final Map<String, Object> values = new LinkedHashMap<>();

  public LayerConfig() {}

  // ---------------------------------------------------------------- writing

  public LayerConfig put(String key, int v) { return set(key, (long) v); }
  public LayerConfig put(String key, long v) { return set(key, v); }
  public LayerConfig put(String key, float v) { return set(key, (double) v); }
  public LayerConfig put(String key, double v) { return set(key, v); }
  public LayerConfig put(String key, boolean v) { return set(key, v); }
  public LayerConfig put(String key, String v) { return set(key, Objects.requireNonNull(v, key)); }

  public LayerConfig put(String key, int[] v) {
    List<Object> l = new ArrayList<>(v.length);
    for (int x : v) l.add((long) x);
    return set(key, Collections.unmodifiableList(l));
  }

  /** A nested configuration (e.g. the options of a sub-block). */
  public LayerConfig put(String key, LayerConfig v) { return set(key, Objects.requireNonNull(v, key)); }

  /** A nested layer, written with its registered type ({@link LayerRegistry#encode}). */
  public LayerConfig putLayer(String key, Layer layer) { return set(key, LayerRegistry.encode(layer)); }

  /** A list of nested layers (e.g. a Sequential's), each with its registered type. */
  public LayerConfig putLayers(String key, List<? extends Layer> layers) {
    List<Object> l = new ArrayList<>(layers.size());
    for (Layer x : layers) l.add(LayerRegistry.encode(x));
    return set(key, Collections.unmodifiableList(l));
  }

  /** A list of nested configurations (e.g. a graph's nodes). */
  public LayerConfig putConfigs(String key, List<LayerConfig> configs) {
    return set(key, List.copyOf(configs));
  }

  private LayerConfig set(String key, Object v) {
    if (key == null || key.isEmpty()) throw new IllegalArgumentException("LayerConfig: empty key");
    values.put(key, v);
    return this;
  }

  // ---------------------------------------------------------------- reading

  public boolean has(String key) { return values.containsKey(key); }

  /** The keys in insertion order. */
  public List<String> keys() { return List.copyOf(values.keySet()); }

  private Object field(String key) {
    Object v = values.get(key);
    if (v == null) throw new IllegalArgumentException("missing config field '" + key + "' in " + this);
    return v;
  }

  public int getInt(String key) {
    Object v = field(key);
    if (!(v instanceof Long l) || l != (int) (long) l) throw new IllegalArgumentException("config field '" + key + "' must be an integer, got " + v);
    return (int) (long) l;
  }

  public long getLong(String key) {
    Object v = field(key);
    if (!(v instanceof Long l)) throw new IllegalArgumentException("config field '" + key + "' must be an integer, got " + v);
    return l;
  }

  public double getDouble(String key) {
    Object v = field(key);
    if (!(v instanceof Number n)) throw new IllegalArgumentException("config field '" + key + "' must be a number, got " + v);
    return n.doubleValue();
  }

  public float getFloat(String key) { return (float) getDouble(key); }

  public boolean getBoolean(String key) {
    Object v = field(key);
    if (!(v instanceof Boolean b)) throw new IllegalArgumentException("config field '" + key + "' must be true or false, got " + v);
    return b;
  }

  public String getString(String key) {
    Object v = field(key);
    if (!(v instanceof String s)) throw new IllegalArgumentException("config field '" + key + "' must be a string, got " + v);
    return s;
  }

  public int[] getInts(String key) {
    Object v = field(key);
    if (!(v instanceof List<?> l)) throw new IllegalArgumentException("config field '" + key + "' must be a list of integers, got " + v);
    int[] r = new int[l.size()];
    for (int i = 0; i < r.length; i++) {
      if (!(l.get(i) instanceof Long x) || x != (int) (long) x)
        throw new IllegalArgumentException("config field '" + key + "' must be a list of integers, got " + v);
      r[i] = (int) (long) x;
    }
    return r;
  }

  public LayerConfig getConfig(String key) {
    Object v = field(key);
    if (!(v instanceof LayerConfig c)) throw new IllegalArgumentException("config field '" + key + "' must be an object, got " + v);
    return c;
  }

  public List<LayerConfig> getConfigs(String key) {
    Object v = field(key);
    if (!(v instanceof List<?> l)) throw new IllegalArgumentException("config field '" + key + "' must be a list of objects, got " + v);
    List<LayerConfig> r = new ArrayList<>(l.size());
    for (Object o : l) {
      if (!(o instanceof LayerConfig c)) throw new IllegalArgumentException("config field '" + key + "' must be a list of objects, got " + v);
      r.add(c);
    }
    return r;
  }

  /** A nested layer written by {@link #putLayer}, rebuilt through the registry. */
  public Layer getLayer(String key) {
    try {
      return LayerRegistry.decode(getConfig(key));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("config field '" + key + "': " + e.getMessage(), e);
    }
  }

  /** Nested layers written by {@link #putLayers}, rebuilt through the registry. */
  public List<Layer> getLayers(String key) {
    List<LayerConfig> cs = getConfigs(key);
    List<Layer> r = new ArrayList<>(cs.size());
    for (int i = 0; i < cs.size(); i++) {
      try {
        r.add(LayerRegistry.decode(cs.get(i)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + "[" + i + "]: " + e.getMessage(), e);
      }
    }
    return r;
  }

  // ---------------------------------------------------------------- plain values (the checkpoint's JSON bridge)

  /**
   * The values as plain Java objects: Long, Double, Boolean, String, List and (nested configs)
   * Map; what the checkpoint code writes as JSON.
   */
  public Map<String, Object> toPlain() {
    Map<String, Object> m = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : values.entrySet()) m.put(e.getKey(), plain(e.getValue()));
    return m;
  }

  private static Object plain(Object v) {
    if (v instanceof LayerConfig c) return c.toPlain();
    if (v instanceof List<?> l) {
      List<Object> r = new ArrayList<>(l.size());
      for (Object o : l) r.add(plain(o));
      return r;
    }
    return v;
  }

  /**
   * Rebuilds a configuration from plain values (as a JSON parser gives them: Integer, Long,
   * Double, Boolean, String, List, Map); integral numbers become integers, others doubles.
   */
  public static LayerConfig fromPlain(Map<?, ?> m) {
    LayerConfig c = new LayerConfig();
    for (Map.Entry<?, ?> e : m.entrySet()) c.values.put(String.valueOf(e.getKey()), value(e.getValue()));
    return c;
  }

  private static Object value(Object v) {
    if (v instanceof Map<?, ?> m) return fromPlain(m);
    if (v instanceof List<?> l) {
      List<Object> r = new ArrayList<>(l.size());
      for (Object o : l) r.add(value(o));
      return Collections.unmodifiableList(r);
    }
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
    if (v instanceof java.math.BigInteger b) return b.longValueExact();
    if (v instanceof Float f) return (double) f;
    if (v instanceof java.math.BigDecimal d) return d.doubleValue();
    if (v == null) throw new IllegalArgumentException("config values cannot be null");
    return v;
  }

  @Override
  public boolean equals(Object o) { return o instanceof LayerConfig c && c.values.equals(values); }

  @Override
  public int hashCode() { return values.hashCode(); }

  @Override
  public String toString() { return toPlain().toString(); }
}
