package dev.jnn.nn;

import dev.jnn.backend.Conv2dGeometry;
import dev.jnn.tensor.Tensor;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * 2-D convolution over NCHW batches (PyTorch's {@code nn.Conv2d}, cross-correlation like every
 * framework): input x (N, C, H, W), weight (K, C, R, S), optional bias (K), output (N, K, P, Q)
 * with {@code P = floor((H + 2 padH - dilationH (R - 1) - 1) / strideH) + 1} (Q likewise).
 *
 * <pre>{@code
 * Conv2d c = new Conv2d(1, 32, 3);                                  // 3x3, stride 1, no padding, bias
 * Conv2d d = Conv2d.builder(32, 64).kernel(3).stride(2).padding(1).bias(false).build();
 * Conv2d s = Conv2d.builder(3, 16).kernel(5).paddingSame().dilation(2).init(Init.HE_NORMAL).build();
 * Tensor y = c.forward(x, true);                                    // x [N, 1, 28, 28] -> y [N, 32, 26, 26]
 * }</pre>
 *
 * <p><b>Padding "same"</b> follows PyTorch: only for stride 1, and the output keeps the input's
 * spatial size. PyTorch pads asymmetrically when the total padding {@code dilation (k - 1)} is odd
 * (an even effective kernel); the kernels here pad symmetrically, so that case is rejected with a
 * message instead of silently shifting the output.
 *
 * <p><b>Initialization</b> is that of {@link Dense}: Xavier/Glorot uniform by default (Keras'
 * default for Conv2D), or any {@link Init}, with {@code fan_in = C R S} and {@code fan_out = K R S};
 * the bias starts at zero.
 *
 * <p><b>Kernels</b>: {@code conv2dForward}, {@code conv2dBackwardFilter} (weight and bias
 * gradients) and {@code conv2dBackwardData} (input gradient, skipped when not required). The
 * output, the input gradient and the backend's workspace ({@code conv2dWorkspaceSize}) are
 * allocated once per input shape ({@link ShapeCache}) and reused.
 */
public final class Conv2d extends Layer {

  /**
   * The full configuration of a Conv2d (what a checkpoint stores to rebuild the layer). With
   * {@code samePadding} the padding is derived from kernel and dilation (any given padding is
   * replaced); the canonical constructor validates everything.
   */
  public record Options(int inChannels, int outChannels, int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                        boolean samePadding, int dilationH, int dilationW, boolean bias, Init init) {
    public Options {
      Objects.requireNonNull(init, "Conv2d: init is null");
      String what = "Conv2d(" + inChannels + "->" + outChannels + ")";
      if (inChannels < 1 || outChannels < 1) throw new IllegalArgumentException(what + ": channel counts must be >= 1");
      if (kernelH < 1 || kernelW < 1) throw new IllegalArgumentException(what + ": kernel size must be >= 1, got " + kernelH + "x" + kernelW);
      if (strideH < 1 || strideW < 1) throw new IllegalArgumentException(what + ": stride must be >= 1, got " + strideH + "x" + strideW);
      if (dilationH < 1 || dilationW < 1) throw new IllegalArgumentException(what + ": dilation must be >= 1, got " + dilationH + "x" + dilationW);
      if (samePadding) {
        if (strideH != 1 || strideW != 1)
          throw new IllegalArgumentException(what + ": padding 'same' needs stride 1 (as in PyTorch), got stride " + strideH + "x" + strideW
              + "; give the padding explicitly for strided convolutions");
        int th = dilationH * (kernelH - 1), tw = dilationW * (kernelW - 1);
        if (th % 2 != 0 || tw % 2 != 0)
          throw new IllegalArgumentException(what + ": padding 'same' with kernel " + kernelH + "x" + kernelW + " and dilation " + dilationH + "x"
              + dilationW + " needs an odd effective kernel (dilation*(kernel-1)+1 = " + (th + 1) + "x" + (tw + 1)
              + "): an even one needs asymmetric padding, which jnn does not do; use an odd kernel or explicit padding");
        padH = th / 2;
        padW = tw / 2;
      }
      if (padH < 0 || padW < 0) throw new IllegalArgumentException(what + ": padding must be >= 0, got " + padH + "x" + padW);
    }

    /** Effective (dilated) kernel height {@code dilationH (kernelH - 1) + 1}. */
    public int effectiveKernelH() { return dilationH * (kernelH - 1) + 1; }
    public int effectiveKernelW() { return dilationW * (kernelW - 1) + 1; }
  }

  /** Builder of {@link Options}: the kernel size is required; defaults stride 1, padding 0, dilation 1, bias on, Xavier uniform. */
  public static final class Builder {
    private final int in, out;
    private int kh = -1, kw = -1, sh = 1, sw = 1, ph, pw, dh = 1, dw = 1;
    private boolean same, bias = true;
    private Init init = Init.XAVIER_UNIFORM;

    private Builder(int in, int out) { this.in = in; this.out = out; }

    public Builder kernel(int k) { return kernel(k, k); }
    public Builder kernel(int h, int w) { kh = h; kw = w; return this; }
    public Builder stride(int s) { return stride(s, s); }
    public Builder stride(int h, int w) { sh = h; sw = w; return this; }
    /** Explicit zero padding on each side (clears {@link #paddingSame()}). */
    public Builder padding(int p) { return padding(p, p); }
    public Builder padding(int h, int w) { ph = h; pw = w; same = false; return this; }
    /** PyTorch's {@code padding='same'} (stride 1, odd effective kernel). */
    public Builder paddingSame() { same = true; return this; }
    /** No padding (PyTorch's {@code padding='valid'}, the default). */
    public Builder paddingValid() { return padding(0, 0); }
    public Builder dilation(int d) { return dilation(d, d); }
    public Builder dilation(int h, int w) { dh = h; dw = w; return this; }
    public Builder bias(boolean b) { bias = b; return this; }
    public Builder init(Init i) { init = i; return this; }

    public Options options() {
      if (kh == -1) throw new IllegalStateException("Conv2d(" + in + "->" + out + "): the kernel size is required (builder.kernel(k))");
      return new Options(in, out, kh, kw, sh, sw, ph, pw, same, dh, dw, bias, init);
    }

    public Conv2d build() { return new Conv2d(options()); }
  }

  public static Builder builder(int inChannels, int outChannels) { return new Builder(inChannels, outChannels); }

  private final Options o;
  private final Parameter weight, bias;
  private final List<Parameter> params;
  private final String name;
  private final ShapeCache<Buffers> cache = new ShapeCache<>();
  private Tensor lastInput;
  private Buffers last;

  private static final class Buffers implements AutoCloseable {
    final Conv2dGeometry g;
    final Tensor y, workspace;
    Tensor dx;   // allocated on the first backward that needs it

    Buffers(Conv2d l, Conv2dGeometry g) {
      this.g = g;
      y = Tensor.zeros(l.device(), g.batch(), g.outChannels(), g.outH(), g.outW());
      long ws = l.backend.conv2dWorkspaceSize(g);
      if (ws > Integer.MAX_VALUE)
        throw new IllegalArgumentException(l.name + ": the workspace for " + g + " needs " + ws + " elements, more than a tensor holds; use smaller batches");
      workspace = ws == 0 ? null : Tensor.zeros(l.device(), (int) ws);
    }
    @Override public void close() { Tensor.closeAll(y, workspace, dx); }
  }

  /** A k x k convolution, stride 1, no padding, with bias, Xavier uniform. */
  public Conv2d(int inChannels, int outChannels, int kernel) { this(builder(inChannels, outChannels).kernel(kernel).options()); }

  public Conv2d(Options options) {
    this.o = Objects.requireNonNull(options, "Conv2d: options");
    StringBuilder n = new StringBuilder("Conv2d(").append(o.inChannels()).append("->").append(o.outChannels()).append(", ")
        .append(o.kernelH()).append('x').append(o.kernelW());
    if (o.strideH() != 1 || o.strideW() != 1) n.append(", stride ").append(pair(o.strideH(), o.strideW()));
    if (o.samePadding()) n.append(", same");
    else if (o.padH() != 0 || o.padW() != 0) n.append(", pad ").append(pair(o.padH(), o.padW()));
    if (o.dilationH() != 1 || o.dilationW() != 1) n.append(", dilation ").append(pair(o.dilationH(), o.dilationW()));
    if (!o.bias()) n.append(", no bias");
    this.name = n.append(')').toString();
    this.weight = new Parameter("weight", device(), o.outChannels(), o.inChannels(), o.kernelH(), o.kernelW());
    this.bias = o.bias() ? new Parameter("bias", device(), o.outChannels()) : null;
    this.params = bias == null ? List.of(weight) : List.of(weight, bias);
    initialize(new SplittableRandom(0));
  }

  private static String pair(int a, int b) { return a == b ? Integer.toString(a) : a + "x" + b; }

  public Options options() { return o; }
  public int inChannels() { return o.inChannels(); }
  public int outChannels() { return o.outChannels(); }
  public int kernelH() { return o.kernelH(); }
  public int kernelW() { return o.kernelW(); }
  public int strideH() { return o.strideH(); }
  public int strideW() { return o.strideW(); }
  /** Padding on each side, resolved (also for 'same'). */
  public int paddingH() { return o.padH(); }
  public int paddingW() { return o.padW(); }
  public boolean samePadding() { return o.samePadding(); }
  public int dilationH() { return o.dilationH(); }
  public int dilationW() { return o.dilationW(); }
  public boolean hasBias() { return o.bias(); }
  public Init init() { return o.init(); }
  /** Weight (K, C, R, S). */
  public Parameter weight() { return weight; }
  /** Bias (K), or null when built with {@code bias(false)}. */
  public Parameter bias() { return bias; }

  @Override public String name() { return name; }
  @Override protected List<Parameter> ownParameters() { return params; }

  @Override
  public void initialize(SplittableRandom rng) {
    Tensor w = weight.value();
    int rs = o.kernelH() * o.kernelW();
    writeFromHost(w, (a, off) -> o.init().fill(a, off, w.size(), o.inChannels() * rs, o.outChannels() * rs, rng));
    if (bias != null) bias.value().fill(0f);
  }

  /** Output size along one axis (throws if the padded input is smaller than the dilated kernel). */
  private int outSize(int in, int pad, int kernel, int effKernel, int stride, String axis, String inputShape) {
    int span = in + 2 * pad;
    if (span < effKernel)
      throw new IllegalArgumentException(name + ": input " + inputShape + " is too small: " + axis + " " + in + " + 2 x padding " + pad + " = "
          + span + " is less than the " + (effKernel == kernel ? "" : "dilated ") + "kernel " + axis + " " + effKernel);
    return (span - effKernel) / stride + 1;
  }

  private void checkRankAndChannels(int rank, int channels, String shape) {
    if (rank != 4)
      throw new IllegalArgumentException(name + ": input " + shape + " must have rank 4 [batch, channels, height, width] (NCHW), got rank " + rank);
    if (channels != o.inChannels())
      throw new IllegalArgumentException(name + ": input " + shape + " has " + channels + " channels, expected " + o.inChannels()
          + " (shape [batch, " + o.inChannels() + ", height, width])");
  }

  @Override
  public int[] outputShape(int[] s) {
    String ss = shapeString(s);
    checkRankAndChannels(s.length, s.length > 1 ? s[1] : -1, ss);
    int p = outSize(s[2], o.padH(), o.kernelH(), o.effectiveKernelH(), o.strideH(), "height", ss);
    int q = outSize(s[3], o.padW(), o.kernelW(), o.effectiveKernelW(), o.strideW(), "width", ss);
    return new int[] {s[0], o.outChannels(), p, q};
  }

  @Override
  public Tensor forward(Tensor x, boolean training) {
    checkInput(x);
    Buffers b = cache.get(x);
    if (b == null) {   // a shape seen before was validated then: the steady state allocates nothing
      String ss = x.shapeString();
      checkRankAndChannels(x.rank(), x.rank() > 1 ? x.dim(1) : -1, ss);
      int p = outSize(x.dim(2), o.padH(), o.kernelH(), o.effectiveKernelH(), o.strideH(), "height", ss);
      int q = outSize(x.dim(3), o.padW(), o.kernelW(), o.effectiveKernelW(), o.strideW(), "width", ss);
      if (x.dim(0) == 0) throw new IllegalArgumentException(name + ": input " + ss + " is an empty batch");
      Conv2dGeometry g = new Conv2dGeometry(x.dim(0), o.inChannels(), x.dim(2), x.dim(3), o.outChannels(), o.kernelH(), o.kernelW(),
          o.strideH(), o.strideW(), o.padH(), o.padW(), o.dilationH(), o.dilationW());
      assert g.outH() == p && g.outW() == q;
      b = cache.put(x, new Buffers(this, g));
    }
    backend.conv2dForward(b.g, x, weight.value(), bias == null ? null : bias.value(), b.y, b.workspace);
    lastInput = x;
    last = b;
    return b.y;
  }

  @Override
  public Tensor backward(Tensor dy) {
    checkGradOutput(dy, last == null ? null : last.y);
    Buffers b = last;
    backend.conv2dBackwardFilter(b.g, lastInput, dy, weight.grad(), bias == null ? null : bias.grad(), b.workspace);
    if (!inputGradRequired()) return null;
    if (b.dx == null) b.dx = Tensor.zeros(device(), lastInput.shape());
    backend.conv2dBackwardData(b.g, dy, weight.value(), b.dx, b.workspace);
    return b.dx;
  }

  @Override
  protected void onDeviceChanged() {
    cache.clear();
    lastInput = null;
    last = null;
  }
}
