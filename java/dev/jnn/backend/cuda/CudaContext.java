package dev.jnn.backend.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import dev.jnn.backend.BackendUnavailableException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudnn.cudnnContext;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Everything one CUDA device needs, created once per device on first use (thread-safe): a
 * non-blocking stream every jnn kernel, copy, cuBLAS and cuDNN call is queued on; a cuBLAS handle
 * and a cuDNN handle bound to that stream; the {@link CachingAllocator} pool; pinned staging
 * buffers for host copies; per-call ({@link #scratchScope()}) and named scratch buffers; and
 * status checks that turn every non-zero status into a {@link CudaException} naming kernel,
 * shapes, library and the library's message. A sticky error (an illegal address inside a kernel,
 * {@link LaunchLog#sticky}) names the kernels queued since the last synchronize and makes every
 * later call of this context fail at once with that first error (docs/CUDA-RUNTIME.md).
 *
 * <pre>{@code
 * CudaContext ctx = CudaContext.of(0);                 // BackendUnavailableException if no usable GPU
 * CudaMemory x = ctx.allocate(n);                      // zeroed
 * ctx.upload(host, 0, x.address(), n);
 * int s = JnnCuda.jnn_cuda_relu_forward(ctx.stream(), x.address(), x.address(), n);
 * ctx.check(s, "relu_forward", "n=" + n);
 * ctx.afterLaunch("relu_forward", "n=" + n);           // sync-debug: synchronizes and checks
 * ctx.download(x.address(), host, 0, n);               // synchronizes
 * }</pre>
 */
public final class CudaContext {
  /** Bytes of each of the two pinned staging buffers. */
  static final long STAGING_BYTES = 2L << 20;

  private static final Map<Integer, CudaContext> CONTEXTS = new ConcurrentHashMap<>();
  private static final ThreadLocal<int[]> CURRENT = ThreadLocal.withInitial(() -> new int[] {-1});

  private final int device;
  private final CUstream_st stream;
  private final cublasContext cublasHandle;
  private final cudnnContext cudnnHandle;
  private final CachingAllocator pool;
  private final boolean syncDebug;

  private final Object stagingLock = new Object();
  private final Pointer[] staging = new Pointer[2];
  private final CUevent_st[] stagingFree = new CUevent_st[2];
  private int nextStaging;

  private final NamedScratch named;
  private final LaunchLog launches = new LaunchLog();
  /** The first sticky error: from then on every call fails with it (CUDA can do nothing more in this process). */
  private volatile CudaException poisoned;

  /**
   * The context of device {@code device}, created on first call.
   *
   * @throws BackendUnavailableException when CUDA is unusable here (the message is the probe's
   *     reason) or the device does not exist
   */
  public static CudaContext of(int device) {
    CudaContext c = CONTEXTS.get(device);
    if (c != null) return c;
    synchronized (CONTEXTS) {
      c = CONTEXTS.get(device);
      if (c == null) {
        CudaRuntime.Probe p = CudaRuntime.probe();
        if (!p.available()) throw new BackendUnavailableException("cuda:" + device, p.reason());
        if (device < 0 || device >= p.deviceCount())
          throw new BackendUnavailableException("cuda:" + device, "no such device: " + p.deviceCount() + " CUDA device(s) visible");
        try {
          c = new CudaContext(device);
        } catch (CudaException e) {
          throw new BackendUnavailableException("cuda:" + device, "creating the CUDA context failed: " + e.getMessage());
        }
        CONTEXTS.put(device, c);
      }
      return c;
    }
  }

  /** The contexts created so far (for {@code jnn info}); creates none. */
  public static java.util.List<CudaContext> existing() {
    return java.util.List.copyOf(new java.util.TreeMap<>(CONTEXTS).values());
  }

  private CudaContext(int device) {
    this.device = device;
    this.syncDebug = CudaRuntime.syncDebug();
    String where = "device=" + device;
    CUstream_st s = new CUstream_st();
    cublasContext cb = new cublasContext();
    cudnnContext dn = new cudnnContext();
    try {
      makeCurrent();
      check(cudaStreamCreateWithFlags(s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags", where);
      checkCublas(cublas.cublasCreate_v2(cb), "cublasCreate", where);
      checkCublas(cublas.cublasSetStream_v2(cb, s), "cublasSetStream", where);
      int mode = CudaRuntime.tf32() ? cublas.CUBLAS_TF32_TENSOR_OP_MATH : cublas.CUBLAS_DEFAULT_MATH;
      checkCublas(cublas.cublasSetMathMode(cb, mode), "cublasSetMathMode", where + " mode=" + mode);
      checkCudnn(cudnn.cudnnCreate(dn), "cudnnCreate", where);
      checkCudnn(cudnn.cudnnSetStream(dn, s), "cudnnSetStream", where);
      for (int i = 0; i < 2; i++) {
        Pointer p = new Pointer();
        check(cudaMallocHost(p, STAGING_BYTES), "cudaMallocHost", "staging " + STAGING_BYTES + " bytes");
        staging[i] = p;
        CUevent_st e = new CUevent_st();
        check(cudaEventCreateWithFlags(e, cudaEventDisableTiming), "cudaEventCreateWithFlags", "staging");
        stagingFree[i] = e;
      }
    } catch (CudaException e) {
      // give back what was created before the failure (best effort: the statuses are not checked)
      for (int i = 0; i < 2; i++) {
        if (stagingFree[i] != null) cudaEventDestroy(stagingFree[i]);
        if (staging[i] != null) cudaFreeHost(staging[i]);
      }
      if (!dn.isNull()) cudnn.cudnnDestroy(dn);
      if (!cb.isNull()) cublas.cublasDestroy_v2(cb);
      if (!s.isNull()) cudaStreamDestroy(s);
      throw e;
    }
    this.stream = s;
    this.cublasHandle = cb;
    this.cudnnHandle = dn;
    this.pool = new CachingAllocator(new CudaRawAllocator());
    this.named = new NamedScratch(pool);
  }

  /** The device index. */
  public int device() { return device; }

  /** The stream's cudaStream_t address, for JnnCuda calls; also makes this device current on the calling thread. */
  public long stream() {
    makeCurrent();
    return stream.address();
  }

  /** The stream as the presets' handle type. */
  public CUstream_st streamHandle() {
    makeCurrent();
    return stream;
  }

  /** The cuBLAS handle: stream set, math mode CUBLAS_DEFAULT_MATH (CUBLAS_TF32_TENSOR_OP_MATH with {@link CudaRuntime#tf32()}). */
  public cublasContext cublas() {
    makeCurrent();
    return cublasHandle;
  }

  /** The cuDNN handle, stream set. */
  public cudnnContext cudnn() {
    makeCurrent();
    return cudnnHandle;
  }

  /** The device's memory pool. */
  public CachingAllocator pool() { return pool; }

  /** Whether every launch is followed by a synchronize and a check ({@link CudaRuntime#syncDebug()} when the context was created). */
  public boolean syncDebug() { return syncDebug; }

  /**
   * Makes this context's device current on the calling thread (cudaSetDevice, skipped when already
   * current). Every device call goes through here, so after a sticky error it throws that error's
   * {@link CudaException} again, marked as such.
   */
  public void makeCurrent() {
    CudaException p = poisoned;
    if (p != null)
      throw new CudaException("cuda:" + device, "", p.library(), p.status(), "unusable",
          "an earlier sticky error left this device's CUDA context unusable until the process restarts; the first error: " + p.getMessage());
    int[] cur = CURRENT.get();
    if (cur[0] != device) {
      check(cudaSetDevice(device), "cudaSetDevice", "device=" + device);
      cur[0] = device;
    }
  }

  /** {@code floats} zeroed floats from the pool (the zeroing is queued on the stream). */
  public CudaMemory allocate(long floats) {
    if (floats < 0) throw new IllegalArgumentException("CudaContext.allocate: negative size " + floats);
    makeCurrent();
    return new CudaMemory(this, pool.allocateZeroed(4L * floats), floats);
  }

  /**
   * Device buffers for one backend call, given back to the pool by {@code close()} (stream-ordered,
   * so safe while queued kernels still read them). Every buffer a {@link CudaBackend} kernel needs
   * comes from one of these, so between calls nothing but tensors is live.
   */
  public Scratch scratchScope() {
    makeCurrent();
    return new Scratch(pool);
  }

  /**
   * Address of this context's persistent device buffer called {@code name}, at least {@code bytes}
   * long; grown from the pool when too small. Valid until the next {@code scratch(name, ...)} call
   * or {@link #emptyCache()}. It stays live between calls: prefer {@link #scratchScope()}.
   */
  public long scratch(String name, long bytes) {
    makeCurrent();
    return named.address(name, bytes);
  }

  /**
   * Gives the named scratch buffers back to the pool and every cached block back to the device;
   * returns the bytes given back to the device. Call it between backend calls (never while another
   * thread runs a kernel on this context): the named buffers' addresses become invalid.
   */
  public long emptyCache() {
    named.release();
    return pool.emptyCache();
  }

  /** Bytes held by the named scratch buffers (live in the pool's statistics). */
  public long namedScratchBytes() { return named.bytes(); }

  /** Records a kernel queued on the stream, for the message of a later asynchronous error. */
  void launched(String kernel) { launches.launched(kernel); }

  /** Copies {@code n} ints from {@code src[off..]} to device address {@code dstAddress} through pinned staging. */
  public void uploadInts(int[] src, int off, int n, long dstAddress) {
    if (n < 0 || off < 0 || off > src.length - n)
      throw new IndexOutOfBoundsException("uploadInts: range [" + off + ", " + ((long) off + n) + ") outside array of " + src.length);
    uploadChunks(off, n, dstAddress, (p, from, count) -> new IntPointer(p).capacity(count).put(src, from, count));
  }

  /** Copies {@code n} floats from {@code src[off..]} to device address {@code dstAddress} through pinned staging. */
  public void upload(float[] src, int off, long dstAddress, int n) {
    if (n < 0 || off < 0 || off > src.length - n)
      throw new IndexOutOfBoundsException("upload: range [" + off + ", " + ((long) off + n) + ") outside array of " + src.length);
    uploadChunks(off, n, dstAddress, (p, from, count) -> new FloatPointer(p).capacity(count).put(src, from, count));
  }

  /** Copies {@code n} floats from device address {@code srcAddress} to {@code dst[off..]}; synchronizes. */
  public void download(long srcAddress, float[] dst, int off, int n) {
    if (n < 0 || off < 0 || off > dst.length - n)
      throw new IndexOutOfBoundsException("download: range [" + off + ", " + ((long) off + n) + ") outside array of " + dst.length);
    makeCurrent();
    int chunk = (int) (STAGING_BYTES / 4);
    synchronized (stagingLock) {
      Pointer buf = staging[0];
      for (int done = 0; done < n; done += chunk) {
        int count = Math.min(chunk, n - done);
        String shapes = "n=" + n + " chunk at " + done;
        check(cudaEventSynchronize(stagingFree[0]), "download", shapes);
        check(cudaMemcpyAsync(buf, new DevicePointer(srcAddress + 4L * done), 4L * count, cudaMemcpyDeviceToHost, stream),
            "download (cudaMemcpyAsync)", shapes);
        syncStream("download (cudaStreamSynchronize)", shapes);
        new FloatPointer(buf).capacity(count).get(dst, off + done, count);
      }
    }
  }

  /** The float at device address {@code address}; synchronizes. */
  public float downloadFloat(long address) {
    float[] one = new float[1];
    download(address, one, 0, 1);
    return one[0];
  }

  /** The double at device address {@code address}; synchronizes. */
  public double downloadDouble(long address) {
    makeCurrent();
    synchronized (stagingLock) {
      Pointer buf = staging[0];
      check(cudaEventSynchronize(stagingFree[0]), "downloadDouble", "");
      check(cudaMemcpyAsync(buf, new DevicePointer(address), 8, cudaMemcpyDeviceToHost, stream), "downloadDouble (cudaMemcpyAsync)", "");
      syncStream("downloadDouble (cudaStreamSynchronize)", "");
      return new DoublePointer(buf).get(0);
    }
  }

  /** Waits for all work queued on the stream; checks its status. */
  public void synchronize() {
    makeCurrent();
    syncStream("synchronize", "device=" + device);
  }

  /** cudaStreamSynchronize and its check; a clean drain clears the launch log. */
  private void syncStream(String kernel, String shapes) {
    check(cudaStreamSynchronize(stream), kernel, shapes);
    launches.synchronizedOk();
  }

  /**
   * Throws a {@link CudaException} (library "CUDA") when {@code cudaStatus != 0}. A sticky status
   * also names the kernels queued since the last synchronize (the fault is in one of them unless
   * sync-debug stopped at it) and makes this context unusable ({@link #makeCurrent()}).
   */
  public void check(int cudaStatus, String kernel, String shapes) {
    if (cudaStatus == 0) return;
    if (!LaunchLog.sticky(cudaStatus)) throw cudaError(cudaStatus, kernel, shapes);
    String why = syncDebug ? "sync-debug: the fault is in " + kernel + " or the copy/launch it checks"
        : "asynchronous fault, reported here by a later call; " + launches.suspects() + "; JNN_CUDA_SYNC=1 stops at the faulting kernel";
    CudaException e = new CudaException(kernel, shapes, "CUDA", cudaStatus, string(cudaGetErrorName(cudaStatus)),
        string(cudaGetErrorString(cudaStatus)) + " [sticky: " + why + "; no more CUDA work is possible in this process]");
    if (poisoned == null) poisoned = e;
    throw e;
  }

  /** Throws a {@link CudaException} (library "cuBLAS") when {@code status != 0}. */
  public void checkCublas(int status, String kernel, String shapes) {
    if (status != 0) throw cublasError(status, kernel, shapes);
  }

  /** Throws a {@link CudaException} (library "cuDNN") when {@code status != 0}. */
  public void checkCudnn(int status, String kernel, String shapes) {
    if (status != 0) throw cudnnError(status, kernel, shapes);
  }

  /** After a kernel launch: cudaGetLastError; in sync-debug mode also synchronizes the stream and checks it. */
  public void afterLaunch(String kernel, String shapes) {
    check(cudaGetLastError(), kernel, shapes);
    if (syncDebug) syncStream(kernel, shapes + " (sync-debug: error surfaced at stream synchronize)");
  }

  /** A timer over events recorded on this context's stream (for the profiler). */
  public CudaTimer timer() {
    makeCurrent();
    return new CudaTimer(this);
  }

  @Override
  public String toString() {
    return "CudaContext[cuda:" + device + ", pool: " + pool.stats() + ", named scratch " + CachingAllocator.human(named.bytes()) + "]";
  }

  void copyDeviceToDevice(long src, long dst, long bytes, String shapes) {
    makeCurrent();
    check(cudaMemcpyAsync(new DevicePointer(dst), new DevicePointer(src), bytes, cudaMemcpyDeviceToDevice, stream), "copyTo", shapes);
    if (syncDebug) syncStream("copyTo", shapes + " (sync-debug)");
  }

  void copy2dDeviceToDevice(long src, long srcPitchBytes, long dst, long dstPitchBytes, long widthBytes, long rows, String shapes) {
    makeCurrent();
    check(cudaMemcpy2DAsync(new DevicePointer(dst), dstPitchBytes, new DevicePointer(src), srcPitchBytes, widthBytes, rows,
        cudaMemcpyDeviceToDevice, stream), "copyTo2d", shapes);
    if (syncDebug) syncStream("copyTo2d", shapes + " (sync-debug)");
  }

  /** Fills staging buffer with {@code count} elements starting at host index {@code from}. */
  private interface StagingFill {
    void fill(Pointer staging, int from, int count);
  }

  /** Double-buffered upload: chunk k waits for the copy out of its staging buffer two chunks ago, fills it, queues the copy. */
  private void uploadChunks(int off, int n, long dstAddress, StagingFill fill) {
    if (n == 0) return;
    makeCurrent();
    int chunk = (int) (STAGING_BYTES / 4);
    synchronized (stagingLock) {
      for (int done = 0; done < n; done += chunk) {
        int count = Math.min(chunk, n - done);
        int k = nextStaging;
        nextStaging ^= 1;
        String shapes = "n=" + n + " chunk at " + done;
        check(cudaEventSynchronize(stagingFree[k]), "upload", shapes);
        fill.fill(staging[k], off + done, count);
        check(cudaMemcpyAsync(new DevicePointer(dstAddress + 4L * done), staging[k], 4L * count, cudaMemcpyHostToDevice, stream),
            "upload (cudaMemcpyAsync)", shapes);
        check(cudaEventRecord(stagingFree[k], stream), "upload (cudaEventRecord)", shapes);
      }
      if (syncDebug) syncStream("upload", "n=" + n + " (sync-debug)");
    }
  }

  static CudaException cudaError(int status, String kernel, String shapes) {
    return new CudaException(kernel, shapes, "CUDA", status, string(cudaGetErrorName(status)), string(cudaGetErrorString(status)));
  }

  static CudaException cublasError(int status, String kernel, String shapes) {
    return new CudaException(kernel, shapes, "cuBLAS", status, string(cublas.cublasGetStatusName(status)),
        string(cublas.cublasGetStatusString(status)));
  }

  static CudaException cudnnError(int status, String kernel, String shapes) {
    // cuDNN has no separate name function: cudnnGetErrorString gives the status's name
    // ("CUDNN_STATUS_BAD_PARAM"); cudnnGetLastErrorString gives the library's explanation.
    String name = string(cudnn.cudnnGetErrorString(status));
    byte[] last = new byte[1024];
    cudnn.cudnnGetLastErrorString(last, last.length);
    int len = 0;
    while (len < last.length && last[len] != 0) len++;
    String detail = new String(last, 0, len, java.nio.charset.StandardCharsets.UTF_8).trim();
    return new CudaException(kernel, shapes, "cuDNN", status, name, detail.isEmpty() ? "(no further message from cuDNN)" : detail);
  }

  private static String string(BytePointer p) {
    return p == null || p.isNull() ? "" : p.getString();
  }

  /** cudaMalloc / cudaFree / cudaMemsetAsync on this device and stream. */
  private final class CudaRawAllocator implements RawDeviceAllocator {
    @Override
    public long malloc(long bytes) {
      makeCurrent();
      Pointer p = new Pointer();
      int s = cudaMalloc(p, bytes);
      if (s == cudaErrorMemoryAllocation) {
        cudaGetLastError(); // clear the (non-sticky) error so the next launch check does not report it
        return 0;
      }
      check(s, "cudaMalloc", bytes + " bytes");
      return p.address();
    }

    @Override
    public void free(long address) {
      makeCurrent();
      check(cudaFree(new DevicePointer(address)), "cudaFree", "0x" + Long.toHexString(address));
    }

    @Override
    public void memset(long address, int value, long bytes) {
      makeCurrent();
      check(cudaMemsetAsync(new DevicePointer(address), value, bytes, stream), "cudaMemsetAsync", bytes + " bytes");
    }
  }
}
