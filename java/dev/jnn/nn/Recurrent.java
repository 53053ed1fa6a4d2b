package dev.jnn.nn;

import dev.jnn.backend.Backend;
import dev.jnn.backend.RnnGeometry;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * The shared body of {@link LSTM} and {@link GRU} (PyTorch's {@code nn.LSTM} / {@code nn.GRU} with
 * {@code batch_first=True}): stacking, bidirectionality, initial and final states, the choice
 * between the whole sequence and the last step, the per-shape buffers. The recurrences
 * themselves are backend kernels ({@code lstm_forward}/{@code gru_forward} and their backwards),
 * one call per layer and direction over the whole sequence.
 *
 * <p>Layout: input x (B, T, I); layer k's output is the concatenation on the feature axis of its
 * directions (forward first), (B, T, H dirs), and is the input of layer k+1. States are
 * (numLayers dirs, B, H) with index {@code layer * dirs + direction}, as in PyTorch.
 *
 * <p>Public (and sealed) so that its options, builder and state accessors are part of the API of
 * both layers; only LSTM and GRU extend it.
 *
 * <p>Concatenating and splitting directions is a strided host copy here (host tensors are a
 * {@code float[]}); a device backend would need a strided-copy kernel for it.
 */
public abstract sealed class Recurrent extends Layer permits LSTM, GRU {

  /** Configuration shared by LSTM and GRU (what a checkpoint stores). */
  public record Options(int inputSize, int hiddenSize, int numLayers, boolean bidirectional, boolean returnSequences) {
    public Options {
      if (inputSize < 1 || hiddenSize < 1)
        throw new IllegalArgumentException("recurrent layer: inputSize and hiddenSize must be >= 1, got " + inputSize + " and " + hiddenSize);
      if (numLayers < 1) throw new IllegalArgumentException("recurrent layer: numLayers must be >= 1, got " + numLayers);
    }

    public int directions() { return bidirectional ? 2 : 1; }
  }

  /** Builder of a recurrent layer: sizes required; defaults 1 layer, unidirectional, returnSequences true. */
  public abstract static class Builder<L extends Recurrent, B extends Builder<L, B>> {
    int inputSize = -1, hiddenSize = -1, numLayers = 1;
    boolean bidirectional, returnSequences = true;

    @SuppressWarnings("unchecked")
    private B self() { return (B) this; }

    public B inputSize(int n) { inputSize = n; return self(); }
    public B hiddenSize(int n) { hiddenSize = n; return self(); }
    public B numLayers(int n) { numLayers = n; return self(); }
    public B bidirectional(boolean b) { bidirectional = b; return self(); }
    /** true (default): output (B, T, H dirs); false: the last step only, (B, H dirs). */
    public B returnSequences(boolean b) { returnSequences = b; return self(); }

    public Options options() { return new Options(inputSize, hiddenSize, numLayers, bidirectional, returnSequences); }

    public abstract L build();
  }

  final Options o;
  final int gates, dirs, layers, hidden;
  final boolean hasCell;
  final String name;
  /** [layer][direction] = {w_ih, w_hh, b_ih, b_hh}. */
  final Parameter[][][] p;
  private final List<Parameter> params;
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Buffers last;
  private Tensor lastInput;
  private Tensor h0, c0;              // user initial states (nullable), until cleared
  private Tensor[] h0s, c0s;          // their (B, H) views per layer and direction, made once when set
  private Tensor[] usedH0, usedC0;    // the views the last forward used (null: zeros)

  Recurrent(String kind, Options o, int gates, boolean hasCell) {
    this.o = Objects.requireNonNull(o, kind + ": options");
    this.gates = gates;
    this.hasCell = hasCell;
    this.dirs = o.directions();
    this.layers = o.numLayers();
    this.hidden = o.hiddenSize();
    this.name = kind + "(" + o.inputSize() + "->" + o.hiddenSize() + (layers > 1 ? ", " + layers + " layers" : "")
        + (o.bidirectional() ? ", bidirectional" : "") + (o.returnSequences() ? "" : ", last step") + ")";
    p = new Parameter[layers][dirs][];
    List<Parameter> all = new ArrayList<>();
    for (int l = 0; l < layers; l++) {
      int in = l == 0 ? o.inputSize() : hidden * dirs;
      for (int d = 0; d < dirs; d++) {
        String s = "_l" + l + (d == 1 ? "_reverse" : "");
        p[l][d] = new Parameter[] {new Parameter("weight_ih" + s, device(), gates * hidden, in), new Parameter("weight_hh" + s, device(), gates * hidden, hidden),
            new Parameter("bias_ih" + s, device(), gates * hidden), new Parameter("bias_hh" + s, device(), gates * hidden)};
        Collections.addAll(all, p[l][d]);
      }
    }
    params = List.copyOf(all);
    initialize(new SplittableRandom(0));
  }

  public Options options() { return o; }
  public int inputSize() { return o.inputSize(); }
  public int hiddenSize() { return hidden; }
  public int numLayers() { return layers; }
  public boolean bidirectional() { return o.bidirectional(); }
  public boolean returnSequences() { return o.returnSequences(); }

  /** A parameter by its PyTorch name (e.g. {@code weight_ih_l0}, {@code bias_hh_l1_reverse}). */
  public Parameter parameter(String pyTorchName) {
    for (Parameter q : params) if (q.name().equals(pyTorchName)) return q;
    throw new IllegalArgumentException(name + ": no parameter '" + pyTorchName + "'");
  }

  @Override public String name() { return name; }
  @Override public int inputFeatures() { return o.inputSize(); }
  /** In PyTorch's order: per layer, per direction: weight_ih, weight_hh, bias_ih, bias_hh. */
  @Override protected List<Parameter> ownParameters() { return params; }

  /** PyTorch's init: every weight and bias U(-1/sqrt(H), 1/sqrt(H)). */
  @Override
  public void initialize(SplittableRandom rng) {
    double a = 1.0 / Math.sqrt(hidden);
    for (Parameter q : params) {
      Tensor v = q.value();
      writeFromHost(v, (d, off) -> {
        for (int i = 0; i < v.size(); i++) d[off + i] = (float) ((2 * rng.nextDouble() - 1) * a);
      });
    }
  }

  // ------------------------------------------------------------------ states

  /** Initial states for the following forwards (until {@link #clearInitialState()}), each (numLayers dirs, B, H); null for zeros. */
  void setStates(Tensor h0, Tensor c0) {
    if (h0 != null) { checkDevice("initial hidden state", h0); checkState("initial hidden state h0", h0, -1); }
    if (c0 != null) { checkDevice("initial cell state", c0); checkState("initial cell state c0", c0, -1); }
    this.h0 = h0;
    this.c0 = c0;
    h0s = views(h0);
    c0s = views(c0);
  }

  /** Back to zero initial states. */
  public void clearInitialState() { h0 = c0 = null; h0s = c0s = null; }

  /** Whether initial states are set ({@code setInitialState}) for the following forwards. */
  public boolean hasInitialState() { return h0 != null || c0 != null; }

  /** The (B, H) slices of a (numLayers dirs, B, H) state, by index layer * dirs + direction (null for null). */
  private static Tensor[] views(Tensor s) {
    if (s == null) return null;
    Tensor[] v = new Tensor[s.dim(0)];
    int n = s.dim(1) * s.dim(2);
    for (int i = 0; i < v.length; i++) v[i] = s.view(i * n, s.dim(1), s.dim(2));
    return v;
  }

  private static Tensor at(Tensor[] views, int idx) { return views == null ? null : views[idx]; }

  private void checkState(String what, Tensor s, int batch) {
    int n = layers * dirs;
    if (s.rank() != 3 || s.dim(0) != n || s.dim(2) != hidden || (batch >= 0 && s.dim(1) != batch))
      throw new IllegalArgumentException(name + ": " + what + " " + s.shapeString() + " must have shape [" + n + ", " + (batch >= 0 ? batch : "batch") + ", "
          + hidden + "] (numLayers * directions, batch, hiddenSize)");
  }

  /** The final hidden states of the last forward, (numLayers dirs, B, H) (valid until the next forward of that shape). */
  public Tensor finalHidden() {
    if (last == null) throw new IllegalStateException(name + ": finalHidden() before any forward");
    return last.hN;
  }

  Tensor finalCellState() {
    if (last == null) throw new IllegalStateException(name + ": finalCell() before any forward");
    return last.cN;
  }

  /** Gradients of the initial hidden state (and, for LSTM, cell state) from the last backward: {h0} or {h0, c0}, each (numLayers dirs, B, H). */
  public Tensor[] initialStateGradients() {
    if (last == null || !last.backwardDone) throw new IllegalStateException(name + ": initialStateGradients() before any backward");
    return hasCell ? new Tensor[] {last.dh0, last.dc0} : new Tensor[] {last.dh0};
  }

  // ------------------------------------------------------------------ kernels (LSTM or GRU)

  abstract long workspaceSize(Backend b, RnnGeometry g);

  abstract void kernelForward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Parameter[] w, Tensor y, Tensor hT, Tensor cT, Tensor ws);

  abstract void kernelBackward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Parameter[] w, Tensor y, Tensor ws, Tensor dy, Tensor dhT, Tensor dcT,
      Tensor dx, Tensor dh0, Tensor dc0);

  // ------------------------------------------------------------------ forward / backward

  private static final class Buffers implements AutoCloseable {
    final int batch, steps;
    final RnnGeometry[][] g;
    final Tensor[][] y, ws, dx, dy;     // per layer and direction
    final Tensor[] out, dOut;           // per layer: (B, T, H dirs) (for dirs == 1 the same tensors as y / dy)
    final Tensor hN, cN, dh0, dc0, last, dLast, zeroDy;
    final Tensor[] dhT;                 // per direction of the top layer, for returnSequences false
    final Tensor dInput;                // sum over directions of layer 0's dx
    final Tensor[] hNs, cNs, dh0s, dc0s; // (B, H) views of the state tensors, per layer * dirs + direction
    boolean backwardDone;

    Buffers(Recurrent r, int batch, int steps) {
      this.batch = batch;
      this.steps = steps;
      int L = r.layers, D = r.dirs, H = r.hidden;
      var dev = r.device();
      g = new RnnGeometry[L][D];
      y = new Tensor[L][D];
      ws = new Tensor[L][D];
      dx = new Tensor[L][D];
      dy = new Tensor[L][D];
      out = new Tensor[L];
      dOut = new Tensor[L];
      for (int l = 0; l < L; l++) {
        int in = l == 0 ? r.o.inputSize() : H * D;
        for (int d = 0; d < D; d++) {
          g[l][d] = new RnnGeometry(batch, steps, in, H, d == 1);
          y[l][d] = Tensor.zeros(dev, batch, steps, H);
          long n = r.workspaceSize(r.backend, g[l][d]);
          if (n > Integer.MAX_VALUE)
            throw new IllegalArgumentException(r.name + ": the workspace for " + g[l][d] + " needs " + n + " elements, more than a tensor holds; use smaller batches or shorter sequences");
          ws[l][d] = n == 0 ? null : Tensor.zeros(dev, (int) n);
          dx[l][d] = Tensor.zeros(dev, batch, steps, in);
          dy[l][d] = D == 1 ? null : Tensor.zeros(dev, batch, steps, H);
        }
        out[l] = D == 1 ? y[l][0] : Tensor.zeros(dev, batch, steps, H * D);
        dOut[l] = Tensor.zeros(dev, batch, steps, H * D);
        if (D == 1) dy[l][0] = dOut[l];
      }
      hN = Tensor.zeros(dev, L * D, batch, H);
      cN = r.hasCell ? Tensor.zeros(dev, L * D, batch, H) : null;
      dh0 = Tensor.zeros(dev, L * D, batch, H);
      dc0 = r.hasCell ? Tensor.zeros(dev, L * D, batch, H) : null;
      last = r.o.returnSequences() ? null : Tensor.zeros(dev, batch, H * D);
      dLast = r.o.returnSequences() ? null : Tensor.zeros(dev, batch, H * D);
      zeroDy = r.o.returnSequences() ? null : Tensor.zeros(dev, batch, steps, H);
      dhT = new Tensor[D];
      if (!r.o.returnSequences()) for (int d = 0; d < D; d++) dhT[d] = Tensor.zeros(dev, batch, H);
      dInput = D == 1 ? dx[0][0] : Tensor.zeros(dev, batch, steps, r.o.inputSize());
      hNs = views(hN);
      cNs = views(cN);
      dh0s = views(dh0);
      dc0s = views(dc0);
    }

    /** Closes the tensors these buffers allocated (dy[top][0] may be a caller's gradient during a backward: never closed here). */
    @Override
    public void close() {
      int D = y.length == 0 ? 1 : y[0].length;
      for (int l = 0; l < y.length; l++) {
        for (int d = 0; d < D; d++) {
          Tensor.closeAll(y[l][d], ws[l][d], dx[l][d]);
          if (D == 2) dy[l][d].close();
        }
        if (D == 2) out[l].close();
        dOut[l].close();
      }
      Tensor.closeAll(hN, cN, dh0, dc0, last, dLast, zeroDy);
      Tensor.closeAll(dhT);
      if (D == 2) dInput.close();
    }
  }

  private void checkShape(int[] s) {
    if (s.length != 3)
      throw new IllegalArgumentException(name + ": input " + shapeString(s) + " must have rank 3 [batch, steps, " + o.inputSize() + "] (batch first), got rank "
          + s.length);
    if (s[2] != o.inputSize())
      throw new IllegalArgumentException(name + ": input " + shapeString(s) + " has " + s[2] + " features, expected " + o.inputSize() + " (shape [batch, steps, "
          + o.inputSize() + "])");
  }

  @Override
  public int[] outputShape(int[] s) {
    checkShape(s);
    return o.returnSequences() ? new int[] {s[0], s[1], hidden * dirs} : new int[] {s[0], hidden * dirs};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    checkInput(x);
    Buffers b = cache.get(x);
    if (b == null) {
      checkShape(x.shape());
      if (x.dim(0) == 0 || x.dim(1) == 0) throw new IllegalArgumentException(name + ": input " + x.shapeString() + " is empty (batch and steps must be >= 1)");
      b = cache.put(x, new Buffers(this, x.dim(0), x.dim(1)));
    }
    if (h0 != null) checkState("initial hidden state h0", h0, b.batch);
    if (c0 != null) checkState("initial cell state c0", c0, b.batch);
    if (!hasCell && c0 != null) throw new IllegalStateException(name + ": a cell state was set on a layer without one");
    Tensor in = x;
    for (int l = 0; l < layers; l++) {
      for (int d = 0; d < dirs; d++) {
        int idx = l * dirs + d;
        kernelForward(b.g[l][d], in, at(h0s, idx), at(c0s, idx), p[l][d], b.y[l][d], b.hNs[idx], at(b.cNs, idx), b.ws[l][d]);
      }
      if (dirs == 2) {
        interleave(b.y[l][0], b.out[l], 0, 2);
        interleave(b.y[l][1], b.out[l], 1, 2);
      }
      in = b.out[l];
    }
    usedH0 = h0s;
    usedC0 = c0s;
    lastInput = x;
    last = b;
    b.backwardDone = false;
    if (o.returnSequences()) return b.out[layers - 1];
    // last step: the forward direction's state after t = T-1, the reverse one's after t = 0: the final states of the top layer
    for (int d = 0; d < dirs; d++) interleave(b.hNs[(layers - 1) * dirs + d], b.last, d, dirs);
    return b.last;
  }

  @Override
  public Tensor backward(Tensor gradOutput) {
    Buffers b = last;
    checkGradOutput(gradOutput, b == null ? null : (o.returnSequences() ? b.out[layers - 1] : b.last));
    int top = layers - 1;
    for (int l = top; l >= 0; l--) {
      Tensor in = l == 0 ? lastInput : b.out[l - 1];
      if (l == top && o.returnSequences()) {
        if (dirs == 1) b.dy[l][0] = gradOutput;   // read only: the user's tensor is used directly
        else for (int d = 0; d < dirs; d++) deinterleave(gradOutput, b.dy[l][d], d, dirs);
      } else if (l != top && dirs == 2) {
        for (int d = 0; d < dirs; d++) deinterleave(b.dOut[l], b.dy[l][d], d, dirs);
      }
      if (l == top && !o.returnSequences()) for (int d = 0; d < dirs; d++) deinterleave(gradOutput, b.dhT[d], d, dirs);
      // the first layer's input gradient only when asked for (a model's first layer is not): the
      // kernels then skip their (B*T, G*H) x (G*H, I) product
      boolean needDx = l > 0 || inputGradRequired();
      for (int d = 0; d < dirs; d++) {
        int idx = l * dirs + d;
        boolean lastOnly = l == top && !o.returnSequences();
        Tensor dy = lastOnly ? b.zeroDy : b.dy[l][d];
        kernelBackward(b.g[l][d], in, at(usedH0, idx), at(usedC0, idx), p[l][d], b.y[l][d], b.ws[l][d], dy, lastOnly ? b.dhT[d] : null, null,
            needDx ? b.dx[l][d] : null, b.dh0s[idx], at(b.dc0s, idx));
      }
      Tensor target = l == 0 ? b.dInput : b.dOut[l - 1];
      if (dirs == 2 && needDx) backend.add(b.dx[l][0], b.dx[l][1], target);
      else if (l > 0) backend.copy(b.dx[l][0], target);
    }
    if (dirs == 1) b.dy[top][0] = b.dOut[top];   // restore the layer's own buffer
    b.backwardDone = true;
    return inputGradRequired() ? b.dInput : null;
  }

  /**
   * Copies src (rows of width w) into column block {@code part} of dst (rows of width w * parts):
   * row by row on the host, one strided device copy ({@link dev.jnn.tensor.DeviceMemory#copyTo2d})
   * on a device.
   */
  static void interleave(Tensor src, Tensor dst, int part, int parts) {
    int w = src.dim(src.rank() - 1), rows = src.size() / w;
    if (!src.isHost()) {
      src.memory().copyTo2d(src.offset(), w, dst.memory(), dst.offset() + (long) part * w, (long) w * parts, w, rows);
      return;
    }
    float[] s = src.data(), t = dst.data();
    int so = src.offset(), to = dst.offset() + part * w;
    for (int r = 0; r < rows; r++) System.arraycopy(s, so + r * w, t, to + r * w * parts, w);
  }

  /** The inverse of {@link #interleave}: column block {@code part} of src into dst. */
  static void deinterleave(Tensor src, Tensor dst, int part, int parts) {
    int w = dst.dim(dst.rank() - 1), rows = dst.size() / w;
    if (!src.isHost()) {
      src.memory().copyTo2d(src.offset() + (long) part * w, (long) w * parts, dst.memory(), dst.offset(), w, w, rows);
      return;
    }
    float[] s = src.data(), t = dst.data();
    int so = src.offset() + part * w, to = dst.offset();
    for (int r = 0; r < rows; r++) System.arraycopy(s, so + r * w * parts, t, to + r * w, w);
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    last = null;
    lastInput = null;
    h0 = c0 = null;
    h0s = c0s = usedH0 = usedC0 = null;
  }
}
