package dev.jnn.backend;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.DeviceMemory;
import dev.jnn.tensor.Tensor;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A simulated GPU for tests: a {@link Backend} for a device such as {@code Device.cuda(7)} whose
 * memory lives on the Java heap but is reachable only through {@link DeviceMemory} (so a layer
 * that calls {@code data()} on one of its tensors fails exactly as on a real GPU), and whose
 * every kernel runs the {@link dev.jnn.backend.java.JavaBackend} implementation on host views of
 * that memory. Results on the simulated device are therefore bit-identical to the java backend's.
 *
 * <p>It counts allocations, releases and transfers, so tests can prove that a steady-state
 * training step allocates no device memory and which host/device copies a path makes.
 *
 * <pre>{@code
 * try (SimulatedDevice sim = SimulatedDevice.install(Device.cuda(7))) {
 *   Sequential m = model().to(sim.device());
 *   ...
 *   assertEquals(0, sim.liveBlocks());   // after m.release()
 * }                                      // Backends.get(cuda:7) is unavailable again
 * }</pre>
 */
public final class SimulatedDevice implements AutoCloseable {
  private final Device device;
  private final Sim backend;
  private final AtomicLong allocations = new AtomicLong(), releases = new AtomicLong(), uploads = new AtomicLong(), downloads = new AtomicLong(),
      deviceCopies = new AtomicLong(), uploadedFloats = new AtomicLong(), downloadedFloats = new AtomicLong();

  private SimulatedDevice(Device device) {
    this.device = device;
    this.backend = new Sim();
  }

  /** Serves {@code device} (a non-host device) from a new simulated backend until {@link #close()}. */
  public static SimulatedDevice install(Device device) {
    Objects.requireNonNull(device, "device");
    if (device.isHost()) throw new IllegalArgumentException("simulate a device, not the host device " + device);
    SimulatedDevice s = new SimulatedDevice(device);
    Backends.simulate(device, s.backend);
    return s;
  }

  public Device device() { return device; }

  public Backend backend() { return backend; }

  /** allocate() calls so far. */
  public long allocations() { return allocations.get(); }
  /** Blocks released so far. */
  public long releases() { return releases.get(); }
  /** Blocks allocated and not released. */
  public long liveBlocks() { return allocations.get() - releases.get(); }
  /** Host-to-device copies (copyFromHost calls). */
  public long uploads() { return uploads.get(); }
  /** Device-to-host copies (copyToHost calls). */
  public long downloads() { return downloads.get(); }
  /** Device-to-device copies (copyTo and copyTo2d calls). */
  public long deviceCopies() { return deviceCopies.get(); }
  /** Floats copied host-to-device so far. */
  public long uploadedFloats() { return uploadedFloats.get(); }
  /** Floats copied device-to-host so far. */
  public long downloadedFloats() { return downloadedFloats.get(); }

  /** Stops serving the device: Backends.get(device) is unavailable again. */
  @Override
  public void close() { Backends.simulate(device, null); }

  /** A block of simulated device memory: a private heap array, reachable through DeviceMemory only. */
  final class Memory implements DeviceMemory {
    private final float[] a;
    private volatile boolean released;

    Memory(long floats) {
      if (floats < 0 || floats > Integer.MAX_VALUE) throw new IllegalArgumentException("simulated allocate: " + floats + " floats");
      a = new float[(int) floats];
    }

    float[] floats() {
      if (released) throw new IllegalStateException("simulated device memory used after release");
      return a;
    }

    @Override public Device device() { return device; }
    @Override public long address() { return 0x1000_0000L + System.identityHashCode(this) * 64L; }
    @Override public long capacity() { return a.length; }
    @Override public boolean isReleased() { return released; }

    @Override
    public void release() {
      if (released) return;
      released = true;
      releases.incrementAndGet();
    }

    @Override
    public void copyFromHost(float[] src, int srcOff, long dstIndex, int n) {
      check(dstIndex, n);
      uploads.incrementAndGet();
      uploadedFloats.addAndGet(n);
      System.arraycopy(src, srcOff, floats(), (int) dstIndex, n);
    }

    @Override
    public void copyToHost(long srcIndex, float[] dst, int dstOff, int n) {
      check(srcIndex, n);
      downloads.incrementAndGet();
      downloadedFloats.addAndGet(n);
      System.arraycopy(floats(), (int) srcIndex, dst, dstOff, n);
    }

    @Override
    public void copyTo(long srcIndex, DeviceMemory dst, long dstIndex, long n) {
      check(srcIndex, n);
      Memory d = same(dst);
      d.check(dstIndex, n);
      deviceCopies.incrementAndGet();
      System.arraycopy(floats(), (int) srcIndex, d.floats(), (int) dstIndex, (int) n);
    }

    @Override
    public void copyTo2d(long srcIndex, long srcPitch, DeviceMemory dst, long dstIndex, long dstPitch, long width, long rows) {
      Memory d = same(dst);
      if (rows > 0) {
        check(srcIndex, (rows - 1) * srcPitch + width);
        d.check(dstIndex, (rows - 1) * dstPitch + width);
      }
      deviceCopies.incrementAndGet();
      float[] s = floats(), t = d.floats();
      for (long r = 0; r < rows; r++) System.arraycopy(s, (int) (srcIndex + r * srcPitch), t, (int) (dstIndex + r * dstPitch), (int) width);
    }

    private Memory same(DeviceMemory dst) {
      if (!(dst instanceof Memory m) || m.device() != device && !m.device().equals(device))
        throw new IllegalArgumentException("simulated copy from " + device + " to memory of " + dst.device());
      return m;
    }

    private void check(long index, long n) {
      if (released) throw new IllegalStateException("simulated device memory used after release");
      if (index < 0 || n < 0 || index + n > a.length)
        throw new IndexOutOfBoundsException("simulated copy of " + n + " floats at " + index + " in a block of " + a.length);
    }
  }

  /** The backend: every kernel is the java backend's, run on host views of the simulated blocks. */
  final class Sim extends Backend {
    private final Backend ref = Backends.java();

    @Override public Device device() { return device; }
    @Override public String describe() { return "simulated " + device + " (java kernels on heap-backed device memory; tests only)"; }

    @Override
    public DeviceMemory allocate(long floats) {
      allocations.incrementAndGet();
      return new Memory(floats);
    }

    /** A java-device view of a simulated device tensor (null stays null). */
    private Tensor h(Tensor t) {
      if (t == null) return null;
      if (t.isHost()) throw new IllegalStateException("simulated " + device + " kernel got a host tensor " + t.shapeString());
      DeviceMemory m = t.memory();
      if (!(m instanceof Memory mem) || !m.device().equals(device))
        throw new IllegalStateException("simulated " + device + " kernel got memory of " + m.device());
      return Tensor.wrap(Device.JAVA, mem.floats(), t.offset(), t.shape());
    }

    @Override protected void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c, Tensor bias) { ref.gemm(transA, transB, m, n, k, alpha, h(a), h(b), beta, h(c), h(bias)); }
    @Override protected void add_(Tensor a, Tensor b, Tensor out) { ref.add_(h(a), h(b), h(out)); }
    @Override protected void mul_(Tensor a, Tensor b, Tensor out) { ref.mul_(h(a), h(b), h(out)); }
    @Override protected void scale_(Tensor x, float alpha, Tensor out) { ref.scale_(h(x), alpha, h(out)); }
    @Override protected void axpy_(float alpha, Tensor x, Tensor y) { ref.axpy_(alpha, h(x), h(y)); }
    @Override protected void fill_(Tensor x, float value) { ref.fill_(h(x), value); }
    @Override protected void copy_(Tensor src, Tensor dst) { ref.copy_(h(src), h(dst)); }
    @Override protected void relu_forward(Tensor x, Tensor y) { ref.relu_forward(h(x), h(y)); }
    @Override protected void relu_backward(Tensor x, Tensor dy, Tensor dx) { ref.relu_backward(h(x), h(dy), h(dx)); }
    @Override protected void leaky_relu_forward(Tensor x, Tensor y, float slope) { ref.leaky_relu_forward(h(x), h(y), slope); }
    @Override protected void leaky_relu_backward(Tensor x, Tensor dy, Tensor dx, float slope) { ref.leaky_relu_backward(h(x), h(dy), h(dx), slope); }
    @Override protected void sigmoid_forward(Tensor x, Tensor y) { ref.sigmoid_forward(h(x), h(y)); }
    @Override protected void sigmoid_backward(Tensor y, Tensor dy, Tensor dx) { ref.sigmoid_backward(h(y), h(dy), h(dx)); }
    @Override protected void tanh_forward(Tensor x, Tensor y) { ref.tanh_forward(h(x), h(y)); }
    @Override protected void tanh_backward(Tensor y, Tensor dy, Tensor dx) { ref.tanh_backward(h(y), h(dy), h(dx)); }
    @Override protected void gelu_forward(Tensor x, Tensor y) { ref.gelu_forward(h(x), h(y)); }
    @Override protected void gelu_backward(Tensor x, Tensor dy, Tensor dx) { ref.gelu_backward(h(x), h(dy), h(dx)); }
    @Override protected void softmax_forward(Tensor x, Tensor y, int rows, int cols) { ref.softmax_forward(h(x), h(y), rows, cols); }
    @Override protected void gemm_batched(BatchedGemm g, Tensor a, Tensor b, Tensor c) { ref.gemm_batched(g, h(a), h(b), h(c)); }
    @Override protected void layernorm_forward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd, int rows, int cols) { ref.layernorm_forward(h(x), h(gamma), h(beta), eps, h(y), h(mean), h(rstd), rows, cols); }
    @Override protected void layernorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx, Tensor dgamma, Tensor dbeta, int rows, int cols) { ref.layernorm_backward(h(x), h(dy), h(gamma), h(mean), h(rstd), h(dx), h(dgamma), h(dbeta), rows, cols); }
    @Override protected void masked_softmax_forward(Tensor x, Tensor keyMask, boolean causal, float scale, Tensor y, int batch, int heads, int tq, int tk) { ref.masked_softmax_forward(h(x), h(keyMask), causal, scale, h(y), batch, heads, tq, tk); }
    @Override protected void softmax_backward(Tensor y, Tensor dy, Tensor dx, int rows, int cols) { ref.softmax_backward(h(y), h(dy), h(dx), rows, cols); }
    @Override protected void log_softmax_forward(Tensor x, Tensor y, int rows, int cols) { ref.log_softmax_forward(h(x), h(y), rows, cols); }
    @Override protected void log_softmax_backward(Tensor y, Tensor dy, Tensor dx, int rows, int cols) { ref.log_softmax_backward(h(y), h(dy), h(dx), rows, cols); }
    @Override protected float mse_forward(Tensor pred, Tensor target) { return ref.mse_forward(h(pred), h(target)); }
    @Override protected void mse_backward(Tensor pred, Tensor target, Tensor dpred) { ref.mse_backward(h(pred), h(target), h(dpred)); }
    @Override protected float bce_forward(Tensor p, Tensor target) { return ref.bce_forward(h(p), h(target)); }
    @Override protected void bce_backward(Tensor p, Tensor target, Tensor dp) { ref.bce_backward(h(p), h(target), h(dp)); }
    @Override protected float bce_logits_forward(Tensor z, Tensor target) { return ref.bce_logits_forward(h(z), h(target)); }
    @Override protected void bce_logits_backward(Tensor z, Tensor target, Tensor dz) { ref.bce_logits_backward(h(z), h(target), h(dz)); }
    @Override protected float softmax_cross_entropy_forward(Tensor logits, int[] labels, int labelsOffset, Tensor probs, int rows, int cols) { return ref.softmax_cross_entropy_forward(h(logits), labels, labelsOffset, h(probs), rows, cols); }
    @Override protected void softmax_cross_entropy_backward(Tensor probs, int[] labels, int labelsOffset, Tensor dlogits, int rows, int cols) { ref.softmax_cross_entropy_backward(h(probs), labels, labelsOffset, h(dlogits), rows, cols); }
    @Override protected void sum_rows(Tensor x, Tensor out, int rows, int cols) { ref.sum_rows(h(x), h(out), rows, cols); }
    @Override protected double sum_squares(Tensor x) { return ref.sum_squares(h(x)); }
    @Override protected void dropout_forward(Tensor x, Tensor y, Tensor mask, float p, long seed, long counter) { ref.dropout_forward(h(x), h(y), h(mask), p, seed, counter); }
    @Override protected void dropout_backward(Tensor dy, Tensor mask, Tensor dx) { ref.dropout_backward(h(dy), h(mask), h(dx)); }
    @Override protected void sgd_update(Tensor param, Tensor grad, Tensor velocity, float lr, OptimizerConfigs.Sgd cfg, long step) { ref.sgd_update(h(param), h(grad), h(velocity), lr, cfg, step); }
    @Override protected void adam_update(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam cfg, long step) { ref.adam_update(h(param), h(grad), h(m), h(v), lr, cfg, step); }
    @Override protected void adamw_update(Tensor param, Tensor grad, Tensor m, Tensor v, float lr, OptimizerConfigs.Adam cfg, long step) { ref.adamw_update(h(param), h(grad), h(m), h(v), lr, cfg, step); }
    @Override protected void rmsprop_update(Tensor param, Tensor grad, Tensor squareAvg, float lr, OptimizerConfigs.RmsProp cfg) { ref.rmsprop_update(h(param), h(grad), h(squareAvg), lr, cfg); }
    @Override protected void adagrad_update(Tensor param, Tensor grad, Tensor sum, float lr, OptimizerConfigs.Adagrad cfg, long step) { ref.adagrad_update(h(param), h(grad), h(sum), lr, cfg, step); }
    @Override public long conv2dWorkspaceSize(Conv2dGeometry g) { return ref.conv2dWorkspaceSize(g); }
    @Override protected void conv2d_forward(Conv2dGeometry g, Tensor x, Tensor w, Tensor bias, Tensor y, Tensor workspace) { ref.conv2d_forward(g, h(x), h(w), h(bias), h(y), h(workspace)); }
    @Override protected void conv2d_backward_data(Conv2dGeometry g, Tensor dy, Tensor w, Tensor dx, Tensor workspace) { ref.conv2d_backward_data(g, h(dy), h(w), h(dx), h(workspace)); }
    @Override protected void conv2d_backward_filter(Conv2dGeometry g, Tensor x, Tensor dy, Tensor dw, Tensor dbias, Tensor workspace) { ref.conv2d_backward_filter(g, h(x), h(dy), h(dw), h(dbias), h(workspace)); }
    @Override public long lstmWorkspaceSize(RnnGeometry g) { return ref.lstmWorkspaceSize(g); }
    @Override public long gruWorkspaceSize(RnnGeometry g) { return ref.gruWorkspaceSize(g); }
    @Override protected void lstm_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, Tensor y, Tensor hT, Tensor cT, Tensor workspace) { ref.lstm_forward(g, h(x), h(h0), h(c0), h(wIh), h(wHh), h(bIh), h(bHh), h(y), h(hT), h(cT), h(workspace)); }
    @Override protected void lstm_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor c0, Tensor wIh, Tensor wHh, Tensor y, Tensor workspace, Tensor dy, Tensor dhT, Tensor dcT, Tensor dx, Tensor dh0, Tensor dc0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) { ref.lstm_backward(g, h(x), h(h0), h(c0), h(wIh), h(wHh), h(y), h(workspace), h(dy), h(dhT), h(dcT), h(dx), h(dh0), h(dc0), h(dwIh), h(dwHh), h(dbIh), h(dbHh)); }
    @Override protected void gru_forward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor bIh, Tensor bHh, Tensor y, Tensor hT, Tensor workspace) { ref.gru_forward(g, h(x), h(h0), h(wIh), h(wHh), h(bIh), h(bHh), h(y), h(hT), h(workspace)); }
    @Override protected void gru_backward(RnnGeometry g, Tensor x, Tensor h0, Tensor wIh, Tensor wHh, Tensor y, Tensor workspace, Tensor dy, Tensor dhT, Tensor dx, Tensor dh0, Tensor dwIh, Tensor dwHh, Tensor dbIh, Tensor dbHh) { ref.gru_backward(g, h(x), h(h0), h(wIh), h(wHh), h(y), h(workspace), h(dy), h(dhT), h(dx), h(dh0), h(dwIh), h(dwHh), h(dbIh), h(dbHh)); }
    @Override protected void embedding_forward(int[] ids, int idsOffset, int n, Tensor weight, Tensor out) { ref.embedding_forward(ids, idsOffset, n, h(weight), h(out)); }
    @Override protected void embedding_backward(int[] ids, int idsOffset, int n, Tensor dout, Tensor dweight, int paddingIdx) { ref.embedding_backward(ids, idsOffset, n, h(dout), h(dweight), paddingIdx); }
    @Override protected void maxpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y, int[] argmax) { ref.maxpool2d_forward(g, h(x), h(y), argmax); }
    @Override protected void maxpool2d_backward(Pool2dGeometry g, Tensor dy, int[] argmax, Tensor dx) { ref.maxpool2d_backward(g, h(dy), argmax, h(dx)); }
    @Override protected void avgpool2d_forward(Pool2dGeometry g, Tensor x, Tensor y) { ref.avgpool2d_forward(g, h(x), h(y)); }
    @Override protected void avgpool2d_backward(Pool2dGeometry g, Tensor dy, Tensor dx) { ref.avgpool2d_backward(g, h(dy), h(dx)); }
    @Override protected void global_avgpool2d_forward(Tensor x, Tensor y, int planes, int hw) { ref.global_avgpool2d_forward(h(x), h(y), planes, hw); }
    @Override protected void global_avgpool2d_backward(Tensor dy, Tensor dx, int planes, int hw) { ref.global_avgpool2d_backward(h(dy), h(dx), planes, hw); }
    @Override protected void batchnorm_forward_training(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd, float momentum, float eps, int n, int c, int s) { ref.batchnorm_forward_training(h(x), h(gamma), h(beta), h(y), h(runningMean), h(runningVar), h(saveMean), h(saveInvStd), momentum, eps, n, c, s); }
    @Override protected void batchnorm_forward_inference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, float eps, int n, int c, int s) { ref.batchnorm_forward_inference(h(x), h(gamma), h(beta), h(runningMean), h(runningVar), h(y), eps, n, c, s); }
    @Override protected void batchnorm_backward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int s) { ref.batchnorm_backward(h(x), h(dy), h(gamma), h(saveMean), h(saveInvStd), h(dx), h(dgamma), h(dbeta), n, c, s); }
  }

  @Override
  public String toString() {
    return "SimulatedDevice" + Arrays.asList(device, "allocations=" + allocations, "releases=" + releases, "uploads=" + uploads,
        "downloads=" + downloads, "deviceCopies=" + deviceCopies);
  }
}
