package dev.jnn.backend;

import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One valid, small call of every public kernel of {@link Backend}, by kernel name: used to prove
 * that each kernel reaches native code on a native backend (one native call per kernel call),
 * and that a backend still works after it rejected bad input.
 */
final class KernelCatalog {
  private KernelCatalog() {}

  record Call(String kernel, Consumer<Backend> run) {
    @Override public String toString() { return kernel; }
  }

  static Tensor t(Device d, int seed, int... shape) { return Arena.of(d, Inputs.uniform(seed, Tensor.sizeOf(shape), -1, 1), shape); }
  static Tensor probs(Device d, int... shape) { return Arena.of(d, Inputs.uniform(7, Tensor.sizeOf(shape), 0.05, 0.95), shape); }

  /** Every kernel of the Backend SPI (62 entry points), each called once with valid arguments. */
  static List<Call> all(Device d) {
    List<Call> c = new ArrayList<>();
    int n = 37;
    c.add(new Call("gemm", be -> be.gemm(Gemm.NN, t(d, 1, 5, 3), t(d, 2, 3, 4), t(d, 3, 4), t(d, 4, 5, 4))));
    c.add(new Call("gemm_batched", be -> be.gemmBatched(BatchedGemm.dense(false, true, 3, 4, 5, 6).withBeta(0.5f), t(d, 1, 72), t(d, 2, 90), t(d, 3, 60))));
    c.add(new Call("layer_norm_forward", be -> be.layerNormForward(t(d, 1, 3, 5), probs(d, 5), t(d, 2, 5), 1e-5f, t(d, 3, 3, 5), t(d, 4, 3), t(d, 5, 3))));
    c.add(new Call("layer_norm_backward", be -> be.layerNormBackward(t(d, 1, 3, 5), t(d, 2, 3, 5), probs(d, 5), t(d, 3, 3), probs(d, 3), t(d, 4, 3, 5),
        t(d, 5, 5), t(d, 6, 5))));
    c.add(new Call("masked_softmax_forward", be -> be.maskedSoftmaxForward(t(d, 1, 2, 3, 4, 5), Arena.of(d, new float[] {1, 1, 0, 1, 0, 0, 1, 1, 1, 1}, 2, 5),
        true, 0.5f, t(d, 2, 2, 3, 4, 5))));
    c.add(new Call("add", be -> be.add(t(d, 1, n), t(d, 2, n), t(d, 3, n))));
    c.add(new Call("mul", be -> be.mul(t(d, 1, n), t(d, 2, n), t(d, 3, n))));
    c.add(new Call("scale", be -> be.scale(t(d, 1, n), 2f, t(d, 3, n))));
    c.add(new Call("axpy", be -> be.axpy(2f, t(d, 1, n), t(d, 3, n))));
    c.add(new Call("fill", be -> be.fill(t(d, 1, n), 2f)));
    c.add(new Call("copy", be -> be.copy(t(d, 1, n), t(d, 3, n))));
    c.add(new Call("relu_forward", be -> be.reluForward(t(d, 1, n), t(d, 2, n))));
    c.add(new Call("relu_backward", be -> be.reluBackward(t(d, 1, n), t(d, 2, n), t(d, 3, n))));
    c.add(new Call("leaky_relu_forward", be -> be.leakyReluForward(t(d, 1, n), t(d, 2, n), 0.1f)));
    c.add(new Call("leaky_relu_backward", be -> be.leakyReluBackward(t(d, 1, n), t(d, 2, n), t(d, 3, n), 0.1f)));
    c.add(new Call("sigmoid_forward", be -> be.sigmoidForward(t(d, 1, n), t(d, 2, n))));
    c.add(new Call("sigmoid_backward", be -> be.sigmoidBackward(probs(d, n), t(d, 2, n), t(d, 3, n))));
    c.add(new Call("tanh_forward", be -> be.tanhForward(t(d, 1, n), t(d, 2, n))));
    c.add(new Call("tanh_backward", be -> be.tanhBackward(t(d, 1, n), t(d, 2, n), t(d, 3, n))));
    c.add(new Call("gelu_forward", be -> be.geluForward(t(d, 1, n), t(d, 2, n))));
    c.add(new Call("gelu_backward", be -> be.geluBackward(t(d, 1, n), t(d, 2, n), t(d, 3, n))));
    c.add(new Call("softmax_forward", be -> be.softmaxForward(t(d, 1, 3, 5), t(d, 2, 3, 5))));
    c.add(new Call("softmax_backward", be -> be.softmaxBackward(probs(d, 3, 5), t(d, 2, 3, 5), t(d, 3, 3, 5))));
    c.add(new Call("log_softmax_forward", be -> be.logSoftmaxForward(t(d, 1, 3, 5), t(d, 2, 3, 5))));
    c.add(new Call("log_softmax_backward", be -> be.logSoftmaxBackward(t(d, 1, 3, 5), t(d, 2, 3, 5), t(d, 3, 3, 5))));
    c.add(new Call("mse_forward", be -> be.mseForward(t(d, 1, n), t(d, 2, n))));
    c.add(new Call("mse_backward", be -> be.mseBackward(t(d, 1, n), t(d, 2, n), t(d, 3, n))));
    c.add(new Call("bce_forward", be -> be.bceForward(probs(d, n), probs(d, n))));
    c.add(new Call("bce_backward", be -> be.bceBackward(probs(d, n), probs(d, n), t(d, 3, n))));
    c.add(new Call("bce_logits_forward", be -> be.bceLogitsForward(t(d, 1, n), probs(d, n))));
    c.add(new Call("bce_logits_backward", be -> be.bceLogitsBackward(t(d, 1, n), probs(d, n), t(d, 3, n))));
    c.add(new Call("softmax_cross_entropy_forward", be -> be.softmaxCrossEntropyForward(t(d, 1, 3, 5), new int[] {0, 4, 2}, 0, t(d, 2, 3, 5))));
    c.add(new Call("softmax_cross_entropy_backward", be -> be.softmaxCrossEntropyBackward(probs(d, 3, 5), new int[] {0, 4, 2}, 0, t(d, 2, 3, 5))));
    c.add(new Call("sum_rows", be -> be.sumRows(t(d, 1, 6, 4), t(d, 2, 4))));
    c.add(new Call("sum_squares", be -> be.sumSquares(t(d, 1, n))));
    c.add(new Call("dropout_forward", be -> be.dropoutForward(t(d, 1, n), t(d, 2, n), t(d, 3, n), 0.5f, 1, 0)));
    c.add(new Call("dropout_backward", be -> be.dropoutBackward(t(d, 1, n), t(d, 2, n), t(d, 3, n))));
    c.add(new Call("sgd_update", be -> be.sgdUpdate(t(d, 1, n), t(d, 2, n), t(d, 3, n), 0.1f, new OptimizerConfigs.Sgd(0.9f, 0f, 0f, true), 1)));
    c.add(new Call("adam_update", be -> be.adamUpdate(t(d, 1, n), t(d, 2, n), t(d, 3, n), probs(d, n), 0.1f, OptimizerConfigs.Adam.defaults(), 1)));
    c.add(new Call("adamw_update", be -> be.adamwUpdate(t(d, 1, n), t(d, 2, n), t(d, 3, n), probs(d, n), 0.1f, OptimizerConfigs.Adam.defaults(), 2)));
    c.add(new Call("rmsprop_update", be -> be.rmspropUpdate(t(d, 1, n), t(d, 2, n), probs(d, n), 0.1f, OptimizerConfigs.RmsProp.defaults())));
    c.add(new Call("adagrad_update", be -> be.adagradUpdate(t(d, 1, n), t(d, 2, n), probs(d, n), 0.1f, OptimizerConfigs.Adagrad.defaults(), 1)));
    // conv / pool / batch norm; names are snake_case of the public methods (maxPool2dForward: max_pool2d_forward),
    // the native functions drop the inner underscore (jnn_maxpool2d_forward, jnn_batchnorm_backward)
    Conv2dGeometry cg = new Conv2dGeometry(2, 3, 6, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1);
    Pool2dGeometry pg = new Pool2dGeometry(2, 3, 6, 5, 3, 3, 2, 2, 1, 1);
    int[] argmax = new int[2 * 3 * pg.outH() * pg.outW()];
    c.add(new Call("conv2d_forward", be -> be.conv2dForward(cg, t(d, 1, cg.xShape()), t(d, 2, cg.wShape()), t(d, 3, 4), t(d, 4, cg.yShape()), ws(be, d, cg))));
    c.add(new Call("conv2d_backward_data", be -> be.conv2dBackwardData(cg, t(d, 1, cg.yShape()), t(d, 2, cg.wShape()), t(d, 3, cg.xShape()), ws(be, d, cg))));
    c.add(new Call("conv2d_backward_filter", be -> be.conv2dBackwardFilter(cg, t(d, 1, cg.xShape()), t(d, 2, cg.yShape()), t(d, 3, cg.wShape()), t(d, 4, 4),
        ws(be, d, cg))));
    c.add(new Call("max_pool2d_forward", be -> be.maxPool2dForward(pg, t(d, 1, pg.xShape()), t(d, 2, pg.yShape()), argmax)));
    c.add(new Call("max_pool2d_backward", be -> be.maxPool2dBackward(pg, t(d, 1, pg.yShape()), new int[argmax.length], t(d, 2, pg.xShape()))));
    c.add(new Call("avg_pool2d_forward", be -> be.avgPool2dForward(pg, t(d, 1, pg.xShape()), t(d, 2, pg.yShape()))));
    c.add(new Call("avg_pool2d_backward", be -> be.avgPool2dBackward(pg, t(d, 1, pg.yShape()), t(d, 2, pg.xShape()))));
    c.add(new Call("global_avg_pool2d_forward", be -> be.globalAvgPool2dForward(t(d, 1, 2, 3, 4, 5), t(d, 2, 2, 3))));
    c.add(new Call("global_avg_pool2d_backward", be -> be.globalAvgPool2dBackward(t(d, 1, 2, 3), t(d, 2, 2, 3, 4, 5))));
    c.add(new Call("batch_norm_forward_training", be -> be.batchNormForwardTraining(t(d, 1, 4, 3, 2, 2), probs(d, 3), t(d, 2, 3), t(d, 3, 4, 3, 2, 2),
        t(d, 4, 3), probs(d, 3), t(d, 5, 3), t(d, 6, 3), 0.1f, 1e-5f)));
    c.add(new Call("batch_norm_forward_inference", be -> be.batchNormForwardInference(t(d, 1, 4, 3), probs(d, 3), t(d, 2, 3), t(d, 3, 3), probs(d, 3),
        t(d, 4, 4, 3), 1e-5f)));
    c.add(new Call("batch_norm_backward", be -> be.batchNormBackward(t(d, 1, 4, 3, 2, 2), t(d, 2, 4, 3, 2, 2), probs(d, 3), t(d, 3, 3), probs(d, 3),
        t(d, 4, 4, 3, 2, 2), t(d, 5, 3), t(d, 6, 3))));
    // recurrent + embedding: geometry batch 2, 3 steps, 4 -> 5, reverse
    RnnGeometry rg = new RnnGeometry(2, 3, 4, 5, true);
    c.add(new Call("lstm_forward", be -> be.lstmForward(rg, t(d, 1, rg.xShape()), t(d, 2, 2, 5), t(d, 3, 2, 5), t(d, 4, 20, 4), t(d, 5, 20, 5),
        t(d, 6, 20), t(d, 7, 20), t(d, 8, rg.yShape()), t(d, 9, 2, 5), t(d, 10, 2, 5), Tensor.zeros(d, (int) be.lstmWorkspaceSize(rg)))));
    c.add(new Call("lstm_backward", be -> be.lstmBackward(rg, t(d, 1, rg.xShape()), t(d, 2, 2, 5), null, t(d, 4, 20, 4), t(d, 5, 20, 5),
        t(d, 8, rg.yShape()), t(d, 11, (int) be.lstmWorkspaceSize(rg)), t(d, 12, rg.yShape()), t(d, 13, 2, 5), null, t(d, 14, rg.xShape()),
        t(d, 15, 2, 5), t(d, 16, 2, 5), t(d, 17, 20, 4), t(d, 18, 20, 5), t(d, 19, 20), t(d, 20, 20))));
    c.add(new Call("gru_forward", be -> be.gruForward(rg, t(d, 1, rg.xShape()), null, t(d, 4, 15, 4), t(d, 5, 15, 5),
        t(d, 6, 15), t(d, 7, 15), t(d, 8, rg.yShape()), t(d, 9, 2, 5), Tensor.zeros(d, (int) be.gruWorkspaceSize(rg)))));
    c.add(new Call("gru_backward", be -> be.gruBackward(rg, t(d, 1, rg.xShape()), t(d, 2, 2, 5), t(d, 4, 15, 4), t(d, 5, 15, 5),
        t(d, 8, rg.yShape()), t(d, 11, (int) be.gruWorkspaceSize(rg)), t(d, 12, rg.yShape()), null, t(d, 14, rg.xShape()),
        t(d, 15, 2, 5), t(d, 17, 15, 4), t(d, 18, 15, 5), t(d, 19, 15), t(d, 20, 15))));
    c.add(new Call("embedding_forward", be -> be.embeddingForward(new int[] {9, 0, 3, 3, 7, 1}, 1, t(d, 1, 10, 4), t(d, 2, 5, 4))));
    c.add(new Call("embedding_backward", be -> be.embeddingBackward(new int[] {9, 0, 3, 3, 7, 1}, 1, t(d, 1, 5, 4), t(d, 2, 10, 4), 0)));
    return c;
  }

  /** A workspace of the size the backend asks for (null when it needs none). */
  static Tensor ws(Backend be, Device d, Conv2dGeometry g) {
    long n = be.conv2dWorkspaceSize(g);
    return n == 0 ? null : Tensor.zeros(d, (int) n);
  }
}
