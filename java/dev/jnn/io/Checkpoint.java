package dev.jnn.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jnn.loss.BceLoss;
import dev.jnn.loss.BceWithLogitsLoss;
import dev.jnn.loss.Loss;
import dev.jnn.loss.MseLoss;
import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.Layer;
import dev.jnn.nn.LayerConfig;
import dev.jnn.nn.LayerRegistry;
import dev.jnn.nn.Parameter;
import dev.jnn.optim.Adagrad;
import dev.jnn.optim.Adam;
import dev.jnn.optim.AdamBase;
import dev.jnn.optim.AdamW;
import dev.jnn.optim.LrSchedule;
import dev.jnn.optim.Optimizer;
import dev.jnn.optim.RmsProp;
import dev.jnn.optim.Sgd;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checkpoints of any layer tree in the safetensors format, readable from Python. The training
 * API ({@code dev.jnn.train.Model}) saves and loads through this class: {@code model.save(path)},
 * {@code Model.load(path)}, {@code model.loadWeights(path)}.
 *
 * <p><b>Tensors</b> are named by the layers' dotted paths, as PyTorch's {@code state_dict}:
 * {@code "0.weight"}, {@code "2.running_mean"} for a Sequential, {@code "encoder.dense_1.bias"}
 * for nested blocks ({@link Layer#namedParameters()}, {@link Layer#buffers()}); the optimizer
 * state as {@code "optimizer.0.weight.exp_avg"} (PyTorch's state names). In Python:
 * {@code safetensors.torch.load_file(path)} gives them all; {@code safe_open(path, "pt").metadata()}
 * the metadata.
 *
 * <p><b>Metadata</b> ({@code __metadata__}, all strings): {@code format = pt};
 * {@code jnn.format_version = 2}; {@code jnn.architecture}, JSON
 * {@code {"class": "Model", "seed": 42, "root": {"type": "Sequential", "config": {"layers": [...]}}}}:
 * the root layer's registered type and configuration ({@link LayerRegistry}; a graph's
 * configuration holds its nodes and edges, a user's layer whatever its registered writer puts
 * there); {@code jnn.extra_state}, JSON {@code {"<layer path>": {...}}} ({@link Layer#extraState()},
 * e.g. a Dropout's mask seed and counter); and for compiled models {@code jnn.loss} (its type),
 * {@code jnn.optimizer}, JSON {@code {"type": "Adam", "steps": 310, "schedule": {...},
 * "clip_global_norm": 0, "hyper": {...}}}, and {@code jnn.training}, JSON
 * {@code {"epochs_done": 10, "seed": 1, "batch_size": 32, "shuffle": true}}. With these a
 * loaded model continues training exactly as the saved one would have: same weights, optimizer
 * moments and step count (bias correction, schedule), dropout stream, shuffling order. Version 1
 * files (a Sequential's layer list, written before graphs existed) load too. {@code jnn.checksums}
 * holds a CRC32C of every tensor and of the other metadata, verified on loading
 * ({@link SafeTensors}).
 *
 * <p><b>Errors</b>: every problem of a file (see {@link SafeTensors#read}), a missing or
 * unexpected tensor, a shape that does not match, an unregistered layer type (named, with how to
 * register it), and (for {@link #loadInto}) a file written by a different architecture throw an
 * {@link IOException} or {@link IllegalArgumentException} naming the file and the problem, before
 * the model is changed.
 *
 * <p>Models on any device: a GPU model's parameters, buffers and optimizer state are copied down
 * to the host for writing, and loading into a GPU model copies the file's values up into its live
 * tensors ({@link Tensor#copyFrom}); a file saved from a GPU model loads into a host model and
 * back, bit for bit.
 */
public final class Checkpoint {
  private Checkpoint() {}

  public static final String FORMAT_VERSION = "2";
  static final String KEY_ARCH = "jnn.architecture", KEY_LOSS = "jnn.loss", KEY_OPT = "jnn.optimizer", KEY_TRAINING = "jnn.training",
      KEY_VERSION = "jnn.format_version", KEY_EXTRA = "jnn.extra_state";

  /** What a checkpoint holds: the network (weights loaded), its init seed, and for a compiled model the loss, the bound optimizer with its state, and the progress. */
  public record Contents(Layer network, long seed, Loss loss, Optimizer optimizer, TrainingProgress progress) {
    public Contents {
      Objects.requireNonNull(network, "network");
      if (progress == null) progress = TrainingProgress.NONE;
    }
  }

  /**
   * Writes a checkpoint atomically (temporary file, fsync, rename): weights, buffers,
   * architecture, extra state and progress; with {@code withOptimizer} and an optimizer, also the
   * loss and the optimizer state.
   */
  public static void save(Contents c, Path path, boolean withOptimizer) throws IOException {
    Objects.requireNonNull(c, "contents");
    Objects.requireNonNull(path, "path");
    Layer net = c.network();
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    Map<Parameter, String> names = new IdentityHashMap<>();
    for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
      tensors.put(e.getKey(), host(e.getValue().value()));
      names.put(e.getValue(), e.getKey());
    }
    for (Map.Entry<String, Tensor> b : net.buffers().entrySet()) tensors.put(b.getKey(), host(b.getValue()));
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("format", "pt");
    meta.put(KEY_VERSION, FORMAT_VERSION);
    meta.put(KEY_ARCH, json(architecture(net, c.seed())));
    ObjectNode extra = extraState(net);
    if (extra.size() > 0) meta.put(KEY_EXTRA, json(extra));
    Optimizer opt = c.optimizer();
    if (withOptimizer && opt != null) {
      if (c.loss() == null) throw new IllegalArgumentException("checkpoint: an optimizer without a loss");
      meta.put(KEY_LOSS, lossName(c.loss()));
      meta.put(KEY_OPT, json(optimizer(opt)));
      List<Parameter> ps = opt.parameters();
      for (int j = 0; j < ps.size(); j++) {
        String pn = names.get(ps.get(j));
        if (pn == null) throw new IllegalStateException("checkpoint: the optimizer holds a parameter that is not in the model (" + ps.get(j) + ")");
        for (String s : opt.stateNames()) tensors.put("optimizer." + pn + "." + s, host(opt.state(s, j)));
      }
    }
    TrainingProgress p = c.progress();
    ObjectNode t = SafeTensors.JSON.createObjectNode();
    t.put("epochs_done", p.epochsDone());
    t.put("seed", p.seed());
    t.put("batch_size", p.batchSize());
    t.put("shuffle", p.shuffle());
    meta.put(KEY_TRAINING, json(t));
    SafeTensors.write(path, tensors, meta);
  }

  /** The architecture JSON of a network (what {@code jnn.architecture} holds). */
  public static ObjectNode architecture(Layer network, long seed) {
    ObjectNode a = SafeTensors.JSON.createObjectNode();
    a.put("class", "Model");
    a.put("seed", seed);
    a.set("root", tree(LayerRegistry.encode(network)));
    return a;
  }

  private static JsonNode tree(LayerConfig c) {
    try {   // through text, so numbers compare as a parser reads them
      return SafeTensors.JSON.readTree(SafeTensors.JSON.writeValueAsString(c.toPlain()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static LayerConfig config(JsonNode n) {
    if (n == null || !n.isObject()) throw new IllegalArgumentException("expected a JSON object, got " + n);
    return LayerConfig.fromPlain(SafeTensors.JSON.convertValue(n, Map.class));
  }

  private static ObjectNode extraState(Layer net) {
    ObjectNode o = SafeTensors.JSON.createObjectNode();
    for (Map.Entry<String, Layer> e : net.namedLayers().entrySet()) {
      LayerConfig s = e.getValue().extraState();
      if (s != null) o.set(e.getKey(), tree(s));
    }
    return o;
  }

  // ------------------------------------------------------------------ loading

  /** The architecture of a file: the root layer's configuration node, the seed, and (version 1 files) per-layer extra state. */
  private record Arch(JsonNode root, long seed, Map<String, JsonNode> legacyState) {}

  private static Arch arch(Path path, SafeTensors.Contents c) throws IOException {
    JsonNode a = metaJson(path, c, KEY_ARCH, true);
    JsonNode seedNode = a.get("seed");
    long seed = seedNode != null && seedNode.canConvertToLong() ? seedNode.longValue() : 0L;
    JsonNode root = a.get("root");
    Map<String, JsonNode> legacy = new LinkedHashMap<>();
    if (root == null) {   // version 1: {"class": "Sequential", "layers": [{"type", "config", "state"}]}
      JsonNode ls = a.get("layers");
      if (ls == null || !ls.isArray()) throw SafeTensors.bad(path, KEY_ARCH + " has neither a root layer nor a layers array");
      ObjectNode r = SafeTensors.JSON.createObjectNode();
      r.put("type", "Sequential");
      ArrayNode layers = r.putObject("config").putArray("layers");
      for (int i = 0; i < ls.size(); i++) {
        ObjectNode l = ls.get(i).deepCopy();
        JsonNode st = l.remove("state");
        if (st != null) legacy.put(Integer.toString(i), st);
        layers.add(l);
      }
      root = r;
    }
    return new Arch(root, seed, legacy);
  }

  /**
   * Rebuilds the network of a checkpoint with its weights; with the loss and optimizer (bound,
   * state restored) and progress when the file has them. Every problem of the file is an
   * {@link IOException} naming it (a value the layers or the optimizer reject included).
   */
  public static Contents load(Path path) throws IOException {
    Objects.requireNonNull(path, "path");
    try {
      return loadFile(path);
    } catch (RuntimeException e) {
      throw new IOException(path + ": cannot rebuild the model: " + e.getMessage(), e);
    }
  }

  private static Contents loadFile(Path path) throws IOException {
    SafeTensors.Contents c = SafeTensors.read(path);
    Arch arch = arch(path, c);
    Layer net;
    try {
      net = LayerRegistry.decode(config(arch.root()));
    } catch (RuntimeException e) {
      throw SafeTensors.bad(path, KEY_ARCH + ": " + e.getMessage());
    }
    Loss loss = null;
    Optimizer opt = null;
    JsonNode optJson = metaJson(path, c, KEY_OPT, false);
    if (optJson != null) {
      String ln = c.metadata().get(KEY_LOSS);
      if (ln == null) throw SafeTensors.bad(path, "has " + KEY_OPT + " but no " + KEY_LOSS);
      try {
        loss = lossOf(ln);
        opt = optimizerOf(optJson);
      } catch (RuntimeException e) {
        throw SafeTensors.bad(path, e.getMessage());
      }
    }
    TrainingProgress progress = restore(path, c, arch, net, opt, optJson);
    return new Contents(net, arch.seed(), loss, opt, progress);
  }

  /**
   * Loads a checkpoint into an existing network of the same architecture (layer types and
   * configurations must match: else {@link IllegalArgumentException} naming the difference).
   * Weights, buffers and extra state are restored; the optimizer state too when
   * {@code optimizer} is given (bound to {@code network}'s parameters) and the file has one of
   * the same type (the optimizer keeps its own hyper-parameters). Returns the file's seed and
   * progress. Nothing changes when the file is rejected.
   */
  public static Contents loadInto(Layer network, Optimizer optimizer, Path path) throws IOException {
    Objects.requireNonNull(network, "network");
    Objects.requireNonNull(path, "path");
    SafeTensors.Contents c = SafeTensors.read(path);
    Arch arch = arch(path, c);
    JsonNode mine = tree(LayerRegistry.encode(network));
    if (!arch.root().equals(mine))
      throw new IllegalArgumentException(path + ": written by a different architecture: " + firstDifference("root", arch.root(), mine) + " (file: "
          + arch.root() + "; model: " + mine + ")");
    JsonNode optJson = metaJson(path, c, KEY_OPT, false);
    if (optimizer != null && optJson != null) {
      String type = optJson.path("type").asText();
      if (!type.equals(optimizerType(optimizer)))
        throw new IllegalArgumentException(path + ": holds " + type + " optimizer state but the model's optimizer is " + optimizerType(optimizer)
            + "; compile the model with a " + type + " optimizer, or load the weights into an uncompiled model");
    }
    TrainingProgress p = restore(path, c, arch, network, optimizer, optimizer == null ? null : optJson);
    return new Contents(network, arch.seed(), null, optimizer, p);
  }

  /** Where two architecture trees first differ, e.g. {@code root.config.layers[2].config.out_features is 50 in the file but 40 in the model}. */
  static String firstDifference(String at, JsonNode file, JsonNode model) {
    if (file.isObject() && model.isObject()) {
      java.util.Set<String> keys = new java.util.LinkedHashSet<>();
      file.fieldNames().forEachRemaining(keys::add);
      model.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        JsonNode f = file.get(k), m = model.get(k);
        if (f == null || m == null || !f.equals(m)) return f == null || m == null ? at + "." + k + " is " + show(f) + " in the file but " + show(m)
            + " in the model" : firstDifference(at + "." + k, f, m);
      }
    } else if (file.isArray() && model.isArray()) {
      for (int i = 0; i < Math.max(file.size(), model.size()); i++) {
        JsonNode f = file.get(i), m = model.get(i);
        if (f == null || m == null || !f.equals(m)) return f == null || m == null ? at + "[" + i + "] is " + show(f) + " in the file but " + show(m)
            + " in the model (" + file.size() + " vs " + model.size() + " entries)" : firstDifference(at + "[" + i + "]", f, m);
      }
    }
    return at + " is " + show(file) + " in the file but " + show(model) + " in the model";
  }

  private static String show(JsonNode n) { return n == null ? "absent" : n.toString(); }

  /** Checks every tensor against the network, then initializes it, copies, binds the optimizer (if new) and restores its state. */
  private static TrainingProgress restore(Path path, SafeTensors.Contents c, Arch arch, Layer net, Optimizer opt, JsonNode optJson) throws IOException {
    Map<String, SafeTensors.Entry> file = c.tensors();
    Map<String, Parameter> params = net.namedParameters();
    Map<String, Tensor> buffers = net.buffers();
    Map<String, int[]> expected = new LinkedHashMap<>();
    for (Map.Entry<String, Parameter> e : params.entrySet()) expected.put(e.getKey(), e.getValue().value().shape());
    for (Map.Entry<String, Tensor> e : buffers.entrySet()) expected.put(e.getKey(), e.getValue().shape());
    boolean withOpt = opt != null && optJson != null;
    if (withOpt)
      for (Map.Entry<String, Parameter> e : params.entrySet())
        for (String s : opt.stateNames()) expected.put("optimizer." + e.getKey() + "." + s, e.getValue().value().shape());
    for (Map.Entry<String, int[]> e : expected.entrySet()) {
      SafeTensors.Entry t = file.get(e.getKey());
      if (t == null) throw SafeTensors.bad(path, "tensor '" + e.getKey() + "' is missing (the file has " + file.keySet() + ")");
      if (!Arrays.equals(t.shape(), e.getValue()))
        throw SafeTensors.bad(path, "tensor '" + e.getKey() + "' has shape " + Arrays.toString(t.shape()) + " but the model needs " + Arrays.toString(e.getValue()));
    }
    for (String n : file.keySet())
      if (!expected.containsKey(n) && !(n.startsWith("optimizer.") && !withOpt))
        throw SafeTensors.bad(path, "unexpected tensor '" + n + "': the model has no such parameter or buffer");
    Map<String, Layer> layers = net.namedLayers();
    Map<String, LayerConfig> extra = new LinkedHashMap<>();
    JsonNode ex = metaJson(path, c, KEY_EXTRA, false);
    Map<String, JsonNode> states = new LinkedHashMap<>(arch.legacyState());
    if (ex != null) ex.fields().forEachRemaining(e -> states.put(e.getKey(), e.getValue()));
    for (Map.Entry<String, JsonNode> e : states.entrySet()) {
      if (!layers.containsKey(e.getKey())) throw SafeTensors.bad(path, KEY_EXTRA + ": no layer at path '" + e.getKey() + "'");
      try {
        extra.put(e.getKey(), config(e.getValue()));
      } catch (IllegalArgumentException x) {
        throw SafeTensors.bad(path, KEY_EXTRA + " of '" + e.getKey() + "': " + x.getMessage());
      }
    }
    long steps = 0;
    if (withOpt) {
      JsonNode st = optJson.get("steps");
      if (st == null || !st.canConvertToLong() || st.longValue() < 0) throw SafeTensors.bad(path, KEY_OPT + " has no valid step count");
      steps = st.longValue();
    }
    TrainingProgress progress = progress(path, metaJson(path, c, KEY_TRAINING, false));

    // everything checked: change the network
    net.init(arch.seed());
    for (Map.Entry<String, Parameter> e : params.entrySet()) copy(file.get(e.getKey()), e.getValue().value());
    for (Map.Entry<String, Tensor> e : buffers.entrySet()) copy(file.get(e.getKey()), e.getValue());
    for (Map.Entry<String, LayerConfig> e : extra.entrySet()) layers.get(e.getKey()).setExtraState(e.getValue());
    if (withOpt) {
      List<Parameter> bound = opt.parameters();
      if (bound.isEmpty()) opt.bind(net.parameters());
      else opt.reset();
      List<Parameter> ps = opt.parameters();
      List<Map.Entry<String, Parameter>> named = new ArrayList<>(params.entrySet());
      if (ps.size() != named.size()) throw new IllegalStateException("checkpoint: the optimizer is bound to " + ps.size() + " parameters, the model has " + named.size());
      for (int j = 0; j < named.size(); j++) {
        if (ps.get(j) != named.get(j).getValue()) throw new IllegalStateException("checkpoint: optimizer parameter order differs from the model's");
        for (String s : opt.stateNames()) copy(file.get("optimizer." + named.get(j).getKey() + "." + s), opt.state(s, j));
      }
      opt.restoreSteps(steps);
    }
    return progress;
  }

  /** Restores dst (any device: a host-to-device copy on a GPU) from a file entry of the same size. */
  private static void copy(SafeTensors.Entry e, Tensor dst) { dst.copyFrom(e.data(), 0); }

  /** t itself on the host; a host copy of a device tensor (SafeTensors writes host arrays). */
  private static Tensor host(Tensor t) { return t.isHost() ? t : Tensor.of(Device.JAVA, t.toArray(), t.shape()); }

  private static TrainingProgress progress(Path path, JsonNode t) throws IOException {
    if (t == null) return TrainingProgress.NONE;
    try {
      return new TrainingProgress(t.path("epochs_done").asInt(0), t.path("seed").asLong(0), t.path("batch_size").asInt(0), t.path("shuffle").asBoolean(true));
    } catch (IllegalArgumentException e) {
      throw SafeTensors.bad(path, KEY_TRAINING + ": " + e.getMessage());
    }
  }

  private static JsonNode metaJson(Path path, SafeTensors.Contents c, String key, boolean required) throws IOException {
    String s = c.metadata().get(key);
    if (s == null) {
      if (required)
        throw SafeTensors.bad(path, "not a jnn checkpoint: __metadata__ has no '" + key + "' (a plain safetensors file has no architecture to rebuild)");
      return null;
    }
    try {
      JsonNode n = SafeTensors.JSON.readTree(s);
      if (n == null || !n.isObject()) throw SafeTensors.bad(path, "metadata '" + key + "' is not a JSON object");
      return n;
    } catch (JsonProcessingException e) {
      throw SafeTensors.bad(path, "metadata '" + key + "' is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static String json(JsonNode n) {
    try {
      return SafeTensors.JSON.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ losses

  static String lossName(Loss l) {
    if (l instanceof BceLoss || l instanceof BceWithLogitsLoss || l instanceof MseLoss || l instanceof SoftmaxCrossEntropyLoss) return l.name();
    throw new IllegalArgumentException("checkpoint: loss " + l.name() + " cannot be saved (known: BceLoss, BceWithLogitsLoss, MseLoss, SoftmaxCrossEntropyLoss)");
  }

  static Loss lossOf(String name) {
    switch (name) {
      case "BceLoss": return new BceLoss();
      case "BceWithLogitsLoss": return new BceWithLogitsLoss();
      case "MseLoss": return new MseLoss();
      case "SoftmaxCrossEntropyLoss": return new SoftmaxCrossEntropyLoss();
      default: throw new IllegalArgumentException("unknown loss '" + name + "'");
    }
  }

  // ------------------------------------------------------------------ optimizers

  static String optimizerType(Optimizer o) {
    if (o instanceof AdamW) return "AdamW";
    if (o instanceof Adam) return "Adam";
    if (o instanceof Sgd) return "SGD";
    if (o instanceof RmsProp) return "RMSprop";
    if (o instanceof Adagrad) return "Adagrad";
    throw new IllegalArgumentException("checkpoint: optimizer " + o.name() + " cannot be saved (known: SGD, Adam, AdamW, RMSprop, Adagrad)");
  }

  static ObjectNode optimizer(Optimizer o) {
    ObjectNode n = SafeTensors.JSON.createObjectNode();
    n.put("type", optimizerType(o));
    n.put("steps", o.steps());
    n.set("schedule", schedule(o.schedule()));
    n.put("clip_global_norm", o.clipNorm());
    ObjectNode h = n.putObject("hyper");
    if (o instanceof AdamBase a) {
      h.put("beta1", (double) a.config().beta1());
      h.put("beta2", (double) a.config().beta2());
      h.put("eps", (double) a.config().eps());
      h.put("weight_decay", (double) a.config().weightDecay());
    } else if (o instanceof Sgd s) {
      h.put("momentum", (double) s.config().momentum());
      h.put("dampening", (double) s.config().dampening());
      h.put("weight_decay", (double) s.config().weightDecay());
      h.put("nesterov", s.config().nesterov());
    } else if (o instanceof RmsProp r) {
      h.put("alpha", (double) r.config().alpha());
      h.put("eps", (double) r.config().eps());
      h.put("weight_decay", (double) r.config().weightDecay());
    } else if (o instanceof Adagrad g) {
      h.put("lr_decay", (double) g.config().lrDecay());
      h.put("eps", (double) g.config().eps());
      h.put("weight_decay", (double) g.config().weightDecay());
    }
    return n;
  }

  static ObjectNode schedule(LrSchedule s) {
    ObjectNode n = SafeTensors.JSON.createObjectNode();
    if (s instanceof LrSchedule.Constant c) n.put("type", "constant").put("lr", c.lr());
    else if (s instanceof LrSchedule.StepDecay d) n.put("type", "step").put("lr", d.lr()).put("step_size", d.stepSize()).put("gamma", d.gamma());
    else if (s instanceof LrSchedule.Cosine c) n.put("type", "cosine").put("lr", c.lr()).put("total_steps", c.totalSteps()).put("min_lr", c.minLr());
    else if (s instanceof LrSchedule.LinearWarmup w) {
      n.put("type", "warmup").put("warmup_steps", w.warmupSteps());
      n.set("after", schedule(w.after()));
    } else n.put("type", "custom").put("description", String.valueOf(s));
    return n;
  }

  static LrSchedule scheduleOf(JsonNode n) {
    String type = n.path("type").asText();
    switch (type) {
      case "constant": return LrSchedule.constant(num(n, "lr"));
      case "step": return LrSchedule.step(num(n, "lr"), n.path("step_size").asLong(), num(n, "gamma"));
      case "cosine": return LrSchedule.cosine(num(n, "lr"), n.path("total_steps").asLong(), num(n, "min_lr"));
      case "warmup": return LrSchedule.warmup(n.path("warmup_steps").asLong(), scheduleOf(n.path("after")));
      case "custom":
        throw new IllegalArgumentException("the optimizer used a custom learning-rate schedule (" + n.path("description").asText()
            + "), which a file cannot rebuild: build the model and optimizer in code and use Checkpoint.loadInto");
      default: throw new IllegalArgumentException("unknown learning-rate schedule type '" + type + "'");
    }
  }

  private static double num(JsonNode n, String k) {
    JsonNode v = n.get(k);
    if (v == null || !v.isNumber()) throw new IllegalArgumentException("optimizer field '" + k + "' must be a number, got " + v);
    return v.doubleValue();
  }

  static Optimizer optimizerOf(JsonNode n) {
    String type = n.path("type").asText();
    JsonNode h = n.path("hyper");
    LrSchedule sched = scheduleOf(n.path("schedule"));
    double clip = n.path("clip_global_norm").asDouble(0);
    switch (type) {
      case "Adam": return Adam.builder().schedule(sched).clipGlobalNorm(clip).betas(num(h, "beta1"), num(h, "beta2")).eps(num(h, "eps"))
          .weightDecay(num(h, "weight_decay")).build();
      case "AdamW": return AdamW.builder().schedule(sched).clipGlobalNorm(clip).betas(num(h, "beta1"), num(h, "beta2")).eps(num(h, "eps"))
          .weightDecay(num(h, "weight_decay")).build();
      case "SGD": return Sgd.builder().schedule(sched).clipGlobalNorm(clip).momentum(num(h, "momentum")).dampening(num(h, "dampening"))
          .weightDecay(num(h, "weight_decay")).nesterov(h.path("nesterov").asBoolean(false)).build();
      case "RMSprop": return RmsProp.builder().schedule(sched).clipGlobalNorm(clip).alpha(num(h, "alpha")).eps(num(h, "eps"))
          .weightDecay(num(h, "weight_decay")).build();
      case "Adagrad": return Adagrad.builder().schedule(sched).clipGlobalNorm(clip).lrDecay(num(h, "lr_decay")).eps(num(h, "eps"))
          .weightDecay(num(h, "weight_decay")).build();
      default: throw new IllegalArgumentException("unknown optimizer type '" + type + "'");
    }
  }
}
