package dev.jnn.backend.cuda;

import static org.bytedeco.cuda.global.cudnn.*;

import java.util.Arrays;
import org.bytedeco.cuda.cudnn.cudnnDropoutStruct;
import org.bytedeco.cuda.cudnn.cudnnRNNDataStruct;
import org.bytedeco.cuda.cudnn.cudnnRNNStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/**
 * The cuDNN RNN (v8 API) descriptors of one jnn recurrent call shape: a {@code CUDNN_LSTM} or
 * {@code CUDNN_GRU} cell, one layer, unidirectional, {@code CUDNN_LINEAR_INPUT},
 * {@code CUDNN_RNN_DOUBLE_BIAS} (PyTorch's b_ih and b_hh), no projection, no dropout (a single
 * layer has none), {@code CUDNN_RNN_ALGO_STANDARD}; data descriptors for batch-first x (B,T,I) and
 * y (B,T,H) in {@code CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED} with every sequence of length T
 * (unpacked layouts need {@code CUDNN_RNN_PADDED_IO_ENABLED}); state descriptors (1, B, H).
 *
 * <p>Built once per (cell, B, T, I, H) by {@link CudaBackend} (the reverse direction is the same
 * call on time-flipped data, so it shares the descriptors), with the weight space, workspace and
 * reserve-space sizes cuDNN reports, and with the weight layout checked against
 * {@link CudnnRnnLayout} (an {@link IllegalStateException} if they differ). Kept in a bounded
 * cache ({@link BoundedCache}); {@link #close()} destroys the descriptors and gives the sequence
 * lengths' device block back.
 */
final class CudnnRnn implements AutoCloseable {
  /** Reserve space is placed at a 256-byte aligned address inside jnn's workspace tensor: this much slack, in floats. */
  static final long ALIGN_FLOATS = 64;
  /** Host value cuDNN writes into padded output positions (there are none: every sequence has length T); kept alive for the process in case cuDNN keeps the pointer. */
  private static final FloatPointer PADDING_FILL = new FloatPointer(1).put(0f);

  final CudnnRnnLayout layout;
  final int batch, steps;
  final cudnnRNNStruct rnn = new cudnnRNNStruct();
  final cudnnDropoutStruct dropout = new cudnnDropoutStruct();
  final cudnnRNNDataStruct x = new cudnnRNNDataStruct(), y = new cudnnRNNDataStruct();
  final cudnnTensorStruct h = new cudnnTensorStruct();
  /** Device int32[batch], every entry = steps: cuDNN reads it asynchronously, so it lives as long as this object. */
  final CudaMemory devSeqLengths;
  final long weightSpaceBytes, workSpaceBytes, reserveBytes;

  private CudnnRnn(CudaContext ctx, CudnnRnnLayout layout, int batch, int steps) {
    this.layout = layout;
    CudaMemory lengthsBlock = null;
    try {
      this.batch = batch;
      this.steps = steps;
      String k = layout.cell().name().toLowerCase(java.util.Locale.ROOT) + " (cudnn descriptors)";
      String s = shapes();
      int in = layout.inputSize(), hid = layout.hiddenSize();
      ctx.checkCudnn(cudnnCreateDropoutDescriptor(dropout), k, s);
      ctx.checkCudnn(cudnnSetDropoutDescriptor(dropout, ctx.cudnn(), 0f, null, 0, 0), k, s);   // no dropout: no RNG states needed
      ctx.checkCudnn(cudnnCreateRNNDescriptor(rnn), k, s);
      int mathType = CudaRuntime.tf32() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
      ctx.checkCudnn(cudnnSetRNNDescriptor_v8(rnn, CUDNN_RNN_ALGO_STANDARD, layout.cell() == CudnnRnnLayout.Cell.LSTM ? CUDNN_LSTM : CUDNN_GRU,
          CUDNN_RNN_DOUBLE_BIAS, CUDNN_UNIDIRECTIONAL, CUDNN_LINEAR_INPUT, CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT, mathType,
          in, hid, hid, 1, dropout, CUDNN_RNN_PADDED_IO_ENABLED), k, s);
      int[] lengths = new int[batch];
      Arrays.fill(lengths, steps);
      FloatPointer fill = PADDING_FILL;
      ctx.checkCudnn(cudnnCreateRNNDataDescriptor(x), k, s);
      ctx.checkCudnn(cudnnSetRNNDataDescriptor(x, CUDNN_DATA_FLOAT, CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED, steps, batch, in, lengths, fill), k, s);
      ctx.checkCudnn(cudnnCreateRNNDataDescriptor(y), k, s);
      ctx.checkCudnn(cudnnSetRNNDataDescriptor(y, CUDNN_DATA_FLOAT, CUDNN_RNN_DATA_LAYOUT_BATCH_MAJOR_UNPACKED, steps, batch, hid, lengths, fill), k, s);
      ctx.checkCudnn(cudnnCreateTensorDescriptor(h), k, s);
      ctx.checkCudnn(cudnnSetTensorNdDescriptor(h, CUDNN_DATA_FLOAT, 3, new int[] {1, batch, hid}, new int[] {batch * hid, hid, 1}), k, s);

      SizeTPointer a = new SizeTPointer(1), b = new SizeTPointer(1);
      ctx.checkCudnn(cudnnGetRNNWeightSpaceSize(ctx.cudnn(), rnn, a), k + " weight space size", s);
      weightSpaceBytes = a.get();
      ctx.checkCudnn(cudnnGetRNNTempSpaceSizes(ctx.cudnn(), rnn, CUDNN_FWD_MODE_TRAINING, x, a, b), k + " temp space sizes", s);
      workSpaceBytes = a.get();
      reserveBytes = b.get();
      a.close(); b.close();

      lengthsBlock = ctx.allocate(batch);
      ctx.uploadInts(lengths, 0, batch, lengthsBlock.address());
      verifyLayout(ctx);
    } catch (RuntimeException e) {
      destroyDescriptors();
      if (lengthsBlock != null) lengthsBlock.release();
      throw e;
    }
    devSeqLengths = lengthsBlock;
  }

  static CudnnRnn create(CudaContext ctx, CudnnRnnLayout layout, int batch, int steps) { return new CudnnRnn(ctx, layout, batch, steps); }

  /** Destroys the descriptors and gives the sequence lengths back to the pool (stream-ordered: safe after the last call that read them was queued). */
  @Override
  public void close() {
    destroyDescriptors();
    devSeqLengths.release();
  }

  private void destroyDescriptors() {
    if (!x.isNull()) cudnnDestroyRNNDataDescriptor(x);
    if (!y.isNull()) cudnnDestroyRNNDataDescriptor(y);
    if (!h.isNull()) cudnnDestroyTensorDescriptor(h);
    if (!rnn.isNull()) cudnnDestroyRNNDescriptor(rnn);
    if (!dropout.isNull()) cudnnDestroyDropoutDescriptor(dropout);
  }

  /** Asks cuDNN where every matrix and bias of the weight space is and compares with {@link CudnnRnnLayout}. */
  private void verifyLayout(CudaContext ctx) {
    String k = "cudnnGetRNNWeightParams", s = shapes();
    if (weightSpaceBytes % 4 != 0) layout.verify(0, 0, 0, 0, 0, -1);
    cudnnTensorStruct mDesc = new cudnnTensorStruct(), bDesc = new cudnnTensorStruct();
    PointerPointer<Pointer> mAddr = new PointerPointer<>(1), bAddr = new PointerPointer<>(1);
    try (Scratch scratch = ctx.scratchScope()) {
      long base = scratch.get(weightSpaceBytes);   // cudnnGetRNNWeightParams computes addresses in it, reads nothing
      ctx.checkCudnn(cudnnCreateTensorDescriptor(mDesc), k, s);
      ctx.checkCudnn(cudnnCreateTensorDescriptor(bDesc), k, s);
      for (int id = 0; id < layout.linLayers(); id++) {
        ctx.checkCudnn(cudnnGetRNNWeightParams(ctx.cudnn(), rnn, 0, weightSpaceBytes, new DevicePointer(base), id, mDesc, mAddr, bDesc, bAddr),
            k, s + " linLayerID=" + id);
        layout.verify(id, (mAddr.get(0).address() - base) / 4, elements(ctx, mDesc), (bAddr.get(0).address() - base) / 4, elements(ctx, bDesc),
            weightSpaceBytes / 4);
      }
    } finally {
      if (!mDesc.isNull()) cudnnDestroyTensorDescriptor(mDesc);
      if (!bDesc.isNull()) cudnnDestroyTensorDescriptor(bDesc);
      mAddr.close(); bAddr.close();
    }
  }

  private static long elements(CudaContext ctx, cudnnTensorStruct d) {
    int[] type = new int[1], nb = new int[1], dims = new int[8], strides = new int[8];
    ctx.checkCudnn(cudnnGetTensorNdDescriptor(d, 8, type, nb, dims, strides), "cudnnGetTensorNdDescriptor", "weight params");
    long n = 1;
    for (int i = 0; i < nb[0]; i++) n *= dims[i];
    return n;
  }

  /**
   * Floats jnn's workspace tensor needs: alignment slack, cuDNN's reserve space (rounded up to 256
   * bytes), then the packed weight space the forward ran with. Keeping the weights there (rather
   * than in a shared scratch buffer) gives the backward exactly the forward's weights, biases
   * included, even when other layers ran in between: jnn's backward receives no biases to re-pack.
   */
  long workspaceFloats() { return ALIGN_FLOATS + roundUp(reserveBytes) / 4 + (weightSpaceBytes + 3) / 4; }

  private static long roundUp(long bytes) { return (bytes + 255) & ~255L; }

  /** The 256-byte aligned reserve-space address inside a workspace that starts at {@code address}. */
  static long reserveAddress(long address) { return (address + 255) & ~255L; }

  /** The 256-byte aligned packed weight space inside a workspace that starts at {@code address}. */
  long weightsAddress(long address) { return reserveAddress(address) + roundUp(reserveBytes); }

  String shapes() { return layout + " batch " + batch + " steps " + steps; }
}
