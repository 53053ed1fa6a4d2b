package dev.jnn.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jnn.backend.BackendSource.Candidate;
import dev.jnn.backend.cpu.CpuBackend;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input at kernel level, on every backend: each case throws the stated exception with a
 * message naming the kernel and the offending shapes/values; the check happens before any native
 * call (the native call counter does not move), before any write (no tensor passed in changed),
 * and the backend works normally afterwards.
 */
class BadInputTest {

  /** Creates the tensors of one bad call and remembers their contents, to prove nothing was written. */
  static final class Rec {
    final Device device, other;
    final List<Tensor> tensors = new ArrayList<>();
    final List<float[]> before = new ArrayList<>();
    int seed = 1;

    Rec(Device device) {
      this.device = device;
      this.other = device.equals(Device.JAVA) ? Device.CPU : Device.JAVA;
    }

    Tensor t(int... shape) { return on(device, shape); }
    Tensor foreign(int... shape) { return on(other, shape); }
    Tensor p(int... shape) { return keep(Tensor.of(device, Inputs.uniform(seed++, Tensor.sizeOf(shape), 0.1, 0.9), shape)); }

    Tensor on(Device d, int... shape) { return keep(Tensor.of(d, Inputs.uniform(seed++, Tensor.sizeOf(shape), -1, 1), shape)); }

    Tensor keep(Tensor x) {
      tensors.add(x);
      before.add(x.data().clone());
      return x;
    }

    void assertUntouched(String what) {
      for (int i = 0; i < tensors.size(); i++)
        assertArrayEquals(before.get(i), tensors.get(i).data(), what + ": tensor " + i + " " + tensors.get(i).shapeString() + " was written");
    }
  }

  interface Bad { void call(Backend be, Rec r); }

  record Case(String name, Class<? extends Throwable> type, List<String> fragments, Bad bad) {
    @Override public String toString() { return name; }
  }

  static Case c(String name, Class<? extends Throwable> type, Bad bad, String... fragments) { return new Case(name, type, List.of(fragments), bad); }

  static final Class<IllegalArgumentException> IAE = IllegalArgumentException.class;
  static final Class<NullPointerException> NPE = NullPointerException.class;

  static List<Case> cases() {
    OptimizerConfigs.Sgd sgd = OptimizerConfigs.Sgd.plain();
    OptimizerConfigs.Adam adam = OptimizerConfigs.Adam.defaults();
    List<Case> l = new ArrayList<>();
    // ---- shapes
    l.add(c("add size mismatch", IAE, (b, r) -> b.add(r.t(3), r.t(4), r.t(3)), "add", "[3]", "[4]"));
    l.add(c("mul out size mismatch", IAE, (b, r) -> b.mul(r.t(2, 3), r.t(6), r.t(5)), "mul", "[2, 3]", "[5]"));
    l.add(c("copy size mismatch", IAE, (b, r) -> b.copy(r.t(4), r.t(5)), "copy", "[4]", "[5]"));
    l.add(c("axpy size mismatch", IAE, (b, r) -> b.axpy(1f, r.t(4), r.t(2, 3)), "axpy", "[4]", "[2, 3]"));
    l.add(c("relu_forward size mismatch", IAE, (b, r) -> b.reluForward(r.t(2, 3), r.t(7)), "relu_forward", "[2, 3]", "[7]"));
    l.add(c("gelu_backward size mismatch", IAE, (b, r) -> b.geluBackward(r.t(5), r.t(5), r.t(4)), "gelu_backward", "[5]", "[4]"));
    l.add(c("softmax_forward size mismatch", IAE, (b, r) -> b.softmaxForward(r.t(2, 3), r.t(3, 3)), "softmax_forward", "[2, 3]", "[3, 3]"));
    l.add(c("softmax_forward empty last dim", IAE, (b, r) -> b.softmaxForward(r.t(3, 0), r.t(3, 0)), "softmax_forward", "[3, 0]"));
    l.add(c("log_softmax_backward size mismatch", IAE, (b, r) -> b.logSoftmaxBackward(r.t(2, 4), r.t(2, 4), r.t(2, 3)), "log_softmax_backward", "[2, 4]", "[2, 3]"));
    l.add(c("mse_forward empty", IAE, (b, r) -> b.mseForward(r.t(0), r.t(0)), "mse_forward", "[0]"));
    l.add(c("mse_backward size mismatch", IAE, (b, r) -> b.mseBackward(r.t(4), r.t(4), r.t(3)), "mse_backward", "[4]", "[3]"));
    l.add(c("sum_rows not whole rows", IAE, (b, r) -> b.sumRows(r.t(7), r.t(3)), "sum_rows", "[7]", "[3]"));
    l.add(c("sum_rows empty out", IAE, (b, r) -> b.sumRows(r.t(4), r.t(0)), "sum_rows", "[4]", "[0]"));
    l.add(c("sum_rows out aliases x", IAE, (b, r) -> { Tensor x = r.t(8); b.sumRows(x, x.view(0, 4)); }, "sum_rows", "share storage"));
    l.add(c("dropout_forward mask size", IAE, (b, r) -> b.dropoutForward(r.t(4), r.t(4), r.t(5), 0.5f, 1, 0), "dropout_forward", "[4]", "[5]"));
    l.add(c("adam_update v size", IAE, (b, r) -> b.adamUpdate(r.t(4), r.t(4), r.t(4), r.t(3), 0.1f, adam, 1), "adam_update", "v", "[3]"));
    l.add(c("sgd_update velocity size", IAE, (b, r) -> b.sgdUpdate(r.t(4), r.t(4), r.t(2), 0.1f, sgd, 1), "sgd_update", "velocity", "[2]"));
    // ---- gemm
    l.add(c("gemm inner dimension mismatch", IAE, (b, r) -> b.gemm(Gemm.NN, r.t(2, 3), r.t(4, 5), null, r.t(2, 5)), "gemm", "[2, 3]", "[4, 5]", "[2, 5]"));
    l.add(c("gemm NT inner mismatch", IAE, (b, r) -> b.gemm(Gemm.NT, r.t(2, 3), r.t(5, 4), null, r.t(2, 5)), "gemm", "[2, 3]", "[5, 4]^T"));
    l.add(c("gemm TN inner mismatch", IAE, (b, r) -> b.gemm(Gemm.TN, r.t(2, 3), r.t(3, 5), null, r.t(3, 5)), "gemm", "[2, 3]^T", "[3, 5]"));
    l.add(c("gemm wrong c shape", IAE, (b, r) -> b.gemm(Gemm.NN, r.t(2, 3), r.t(3, 5), null, r.t(5, 2)), "gemm", "[2, 3]", "[3, 5]", "[5, 2]"));
    l.add(c("gemm bias length", IAE, (b, r) -> b.gemm(Gemm.NN, r.t(2, 3), r.t(3, 5), r.t(4), r.t(2, 5)), "gemm", "bias", "[4]", "[2, 5]"));
    l.add(c("gemm rank 3", IAE, (b, r) -> b.gemm(Gemm.NN, r.t(2, 3, 1), r.t(3, 5), null, r.t(2, 5)), "gemm", "rank", "[2, 3, 1]"));
    l.add(c("gemm c aliases a", IAE, (b, r) -> { Tensor a = r.t(3, 3); b.gemm(Gemm.NN, a, r.t(3, 3), null, a); }, "gemm", "share storage"));
    l.add(c("gemm c overlaps a", IAE, (b, r) -> { Tensor s = r.t(20); b.gemm(Gemm.NN, s.view(0, 2, 3), r.t(3, 2), null, s.view(5, 2, 2)); },
        "gemm", "share storage"));
    l.add(c("gemm c aliases b", IAE, (b, r) -> { Tensor x = r.t(3, 3); b.gemm(Gemm.TT, r.t(3, 3), x, null, x); }, "gemm", "share storage"));
    l.add(c("gemm null options", NPE, (b, r) -> b.gemm(null, r.t(2, 2), r.t(2, 2), null, r.t(2, 2)), "gemm"));
    // ---- gemm_batched, layer norm, attention softmax
    BatchedGemm bg = BatchedGemm.dense(false, true, 3, 4, 5, 6);   // A 3 x (4, 6), B 3 x (5, 6), C 3 x (4, 5)
    l.add(c("gemm_batched a too short", IAE, (b, r) -> b.gemmBatched(bg, r.t(71), r.t(90), r.t(60)), "gemm_batched", "reaches past", "[71]", "needs 72"));
    l.add(c("gemm_batched c too short for its offset", IAE, (b, r) -> b.gemmBatched(bg.withC(1, 5, 20), r.t(72), r.t(90), r.t(60)),
        "gemm_batched", "reaches past", "c [60]", "needs 61"));
    l.add(c("gemm_batched c aliases b", IAE, (b, r) -> { Tensor s = r.t(200); b.gemmBatched(bg, r.t(72), s.view(0, 90), s.view(50, 60)); },
        "gemm_batched", "c must not share storage"));
    l.add(c("gemm_batched null layout", NPE, (b, r) -> b.gemmBatched(null, r.t(72), r.t(90), r.t(60)), "gemm_batched layout"));
    l.add(c("gemm_batched null b", NPE, (b, r) -> b.gemmBatched(bg, r.t(72), null, r.t(60)), "gemm_batched", "b is null"));
    l.add(c("gemm_batched a on foreign device", IAE, (b, r) -> b.gemmBatched(bg, r.foreign(72), r.t(90), r.t(60)), "gemm_batched", "a", "device"));
    l.add(c("batched gemm layout lda < k", IAE, (b, r) -> new BatchedGemm(false, false, 2, 3, 4, 5, 0, 4, 15, 0, 4, 20, 0, 4, 12, 1f, 0f),
        "gemm_batched", "leading dimensions", "lda 4"));
    l.add(c("batched gemm layout negative stride", IAE, (b, r) -> bg.withB(0, 6, -30), "gemm_batched", "strides"));
    l.add(c("batched gemm layout alpha NaN", IAE, (b, r) -> bg.withAlpha(Float.NaN), "gemm_batched", "alpha"));
    l.add(c("layernorm_forward gamma length", IAE, (b, r) -> b.layerNormForward(r.t(3, 4), r.t(5), r.t(4), 1e-5f, r.t(3, 4), r.t(3), r.t(3)),
        "layernorm_forward", "gamma", "[5]", "[4]"));
    l.add(c("layernorm_forward y shape", IAE, (b, r) -> b.layerNormForward(r.t(3, 4), r.t(4), r.t(4), 1e-5f, r.t(4, 3), r.t(3), r.t(3)),
        "layernorm_forward", "y", "[4, 3]", "[3, 4]"));
    l.add(c("layernorm_forward rstd length", IAE, (b, r) -> b.layerNormForward(r.t(2, 3, 4), r.t(4), r.t(4), 1e-5f, r.t(2, 3, 4), r.t(6), r.t(3)),
        "layernorm_forward", "rstd", "[3]", "[6]"));
    l.add(c("layernorm_forward eps 0", IAE, (b, r) -> b.layerNormForward(r.t(3, 4), r.t(4), r.t(4), 0f, r.t(3, 4), r.t(3), r.t(3)), "layernorm_forward", "eps"));
    l.add(c("layernorm_forward empty last dim", IAE, (b, r) -> b.layerNormForward(r.t(3, 0), r.t(0), r.t(0), 1e-5f, r.t(3, 0), r.t(3), r.t(3)),
        "layernorm_forward", "[3, 0]"));
    l.add(c("layernorm_forward mean aliases rstd", IAE, (b, r) -> { Tensor s = r.t(3); b.layerNormForward(r.t(3, 4), r.t(4), r.t(4), 1e-5f, r.t(3, 4), s, s); },
        "layernorm_forward", "mean", "rstd", "share storage"));
    l.add(c("layernorm_forward beta foreign", IAE, (b, r) -> b.layerNormForward(r.t(3, 4), r.t(4), r.foreign(4), 1e-5f, r.t(3, 4), r.t(3), r.t(3)),
        "layernorm_forward", "beta", "device"));
    l.add(c("layernorm_backward dx shape", IAE, (b, r) -> b.layerNormBackward(r.t(3, 4), r.t(3, 4), r.t(4), r.t(3), r.p(3), r.t(12), r.t(4), r.t(4)),
        "layernorm_backward", "dx", "[12]", "[3, 4]"));
    l.add(c("layernorm_backward dbeta length", IAE, (b, r) -> b.layerNormBackward(r.t(3, 4), r.t(3, 4), r.t(4), r.t(3), r.p(3), r.t(3, 4), r.t(4), r.t(3)),
        "layernorm_backward", "dbeta", "[3]", "[4]"));
    l.add(c("layernorm_backward null rstd", NPE, (b, r) -> b.layerNormBackward(r.t(3, 4), r.t(3, 4), r.t(4), r.t(3), null, r.t(3, 4), r.t(4), r.t(4)),
        "layernorm_backward", "rstd is null"));
    l.add(c("layernorm_backward dgamma aliases dbeta", IAE, (b, r) -> { Tensor s = r.t(4);
        b.layerNormBackward(r.t(3, 4), r.t(3, 4), r.t(4), r.t(3), r.p(3), r.t(3, 4), s, s); }, "layernorm_backward", "dgamma", "dbeta", "share storage"));
    l.add(c("masked_softmax_forward rank 3", IAE, (b, r) -> b.maskedSoftmaxForward(r.t(2, 3, 4), null, false, 1f, r.t(2, 3, 4)),
        "masked_softmax_forward", "rank 4", "[2, 3, 4]"));
    l.add(c("masked_softmax_forward y shape", IAE, (b, r) -> b.maskedSoftmaxForward(r.t(2, 1, 3, 4), null, true, 1f, r.t(2, 1, 4, 3)),
        "masked_softmax_forward", "y", "[2, 1, 4, 3]", "[2, 1, 3, 4]"));
    l.add(c("masked_softmax_forward keyMask shape", IAE, (b, r) -> b.maskedSoftmaxForward(r.t(2, 1, 3, 4), r.t(2, 3), false, 1f, r.t(2, 1, 3, 4)),
        "masked_softmax_forward", "keyMask", "[2, 3]", "[2, 4]"));
    l.add(c("masked_softmax_forward no keys", IAE, (b, r) -> b.maskedSoftmaxForward(r.t(2, 1, 3, 0), null, false, 1f, r.t(2, 1, 3, 0)),
        "masked_softmax_forward", "[2, 1, 3, 0]", "no keys"));
    l.add(c("masked_softmax_forward scale NaN", IAE, (b, r) -> b.maskedSoftmaxForward(r.t(1, 1, 2, 2), null, false, Float.NaN, r.t(1, 1, 2, 2)),
        "masked_softmax_forward", "scale", "NaN"));
    l.add(c("masked_softmax_forward keyMask aliases y", IAE, (b, r) -> { Tensor y = r.t(1, 1, 2, 2);
        b.maskedSoftmaxForward(r.t(1, 1, 2, 2), y.view(0, 1, 2), false, 1f, y); }, "masked_softmax_forward", "keyMask", "share storage"));
    l.add(c("masked_softmax_forward keyMask foreign", IAE, (b, r) -> b.maskedSoftmaxForward(r.t(1, 1, 2, 2), r.foreign(1, 2), false, 1f, r.t(1, 1, 2, 2)),
        "masked_softmax_forward", "keyMask", "device"));
    // ---- devices
    l.add(c("add on foreign device", IAE, (b, r) -> b.add(r.t(3), r.foreign(3), r.t(3)), "add", "b", "[3]", "device"));
    l.add(c("gemm bias on foreign device", IAE, (b, r) -> b.gemm(Gemm.NN, r.t(2, 3), r.t(3, 5), r.foreign(5), r.t(2, 5)), "gemm", "bias", "[5]", "device"));
    l.add(c("gemm c on foreign device", IAE, (b, r) -> b.gemm(Gemm.NN, r.t(2, 3), r.t(3, 5), null, r.foreign(2, 5)), "gemm", "[2, 5]", "device"));
    l.add(c("softmax_cross_entropy_forward probs foreign", IAE,
        (b, r) -> b.softmaxCrossEntropyForward(r.t(2, 3), new int[] {0, 1}, 0, r.foreign(2, 3)), "softmax_cross_entropy_forward", "probs", "device"));
    l.add(c("adamw_update m foreign", IAE, (b, r) -> b.adamwUpdate(r.t(4), r.t(4), r.foreign(4), r.t(4), 0.1f, adam, 1), "adamw_update", "m", "device"));
    l.add(c("sum_squares foreign", IAE, (b, r) -> b.sumSquares(r.foreign(4)), "sum_squares", "[4]", "device"));
    // ---- nulls
    l.add(c("add null a", NPE, (b, r) -> b.add(null, r.t(3), r.t(3)), "add", "a is null"));
    l.add(c("sigmoid_backward null dx", NPE, (b, r) -> b.sigmoidBackward(r.t(3), r.t(3), null), "sigmoid_backward", "dx is null"));
    l.add(c("gemm null b", NPE, (b, r) -> b.gemm(Gemm.NN, r.t(2, 2), null, null, r.t(2, 2)), "gemm", "b is null"));
    l.add(c("fill null", NPE, (b, r) -> b.fill(null, 1f), "fill", "x is null"));
    l.add(c("sum_squares null", NPE, (b, r) -> b.sumSquares(null), "sum_squares", "x is null"));
    l.add(c("softmax_cross_entropy_forward null labels", NPE,
        (b, r) -> b.softmaxCrossEntropyForward(r.t(2, 3), null, 0, r.t(2, 3)), "softmax_cross_entropy_forward", "labels"));
    l.add(c("sgd_update null config", NPE, (b, r) -> b.sgdUpdate(r.t(3), r.t(3), r.t(3), 0.1f, null, 1), "SGD config"));
    // ---- labels
    l.add(c("label == classes", IAE, (b, r) -> b.softmaxCrossEntropyForward(r.t(3, 5), new int[] {0, 5, 1}, 0, r.t(3, 5)),
        "softmax_cross_entropy_forward", "label 5", "row 1", "[0, 5)"));
    l.add(c("label negative", IAE, (b, r) -> b.softmaxCrossEntropyBackward(r.p(2, 4), new int[] {-1, 0}, 0, r.t(2, 4)),
        "softmax_cross_entropy_backward", "label -1", "[0, 4)"));
    l.add(c("labels too short for offset", IAE, (b, r) -> b.softmaxCrossEntropyForward(r.t(3, 5), new int[] {0, 1, 2, 3}, 2, r.t(3, 5)),
        "softmax_cross_entropy_forward", "3 labels", "offset 2", "4"));
    l.add(c("labels negative offset", IAE, (b, r) -> b.softmaxCrossEntropyBackward(r.p(1, 5), new int[] {0, 1}, -1, r.t(1, 5)),
        "softmax_cross_entropy_backward", "offset -1"));
    // ---- targets
    l.add(c("bce_forward target 1.5", IAE, (b, r) -> b.bceForward(r.p(4), Tensor.of(r.device, new float[] {0, 1, 1.5f, 0}, 4)),
        "bce_forward", "[4]", "1.5", "element 2"));
    l.add(c("bce_backward target -0.1", IAE, (b, r) -> b.bceBackward(r.p(3), Tensor.of(r.device, new float[] {-0.1f, 1, 0}, 3), r.t(3)),
        "bce_backward", "[3]", "-0.1"));
    l.add(c("bce_logits_forward target NaN", IAE, (b, r) -> b.bceLogitsForward(r.t(2, 2), Tensor.of(r.device, new float[] {0, 1, 1, Float.NaN}, 2, 2)),
        "bce_logits_forward", "[2, 2]", "NaN"));
    l.add(c("bce_logits_backward target inf", IAE, (b, r) -> b.bceLogitsBackward(r.t(2), Tensor.of(r.device, new float[] {Float.POSITIVE_INFINITY, 0}, 2), r.t(2)),
        "bce_logits_backward", "[2]", "Infinity"));
    // ---- scalars
    l.add(c("sgd_update lr negative", IAE, (b, r) -> b.sgdUpdate(r.t(3), r.t(3), r.t(3), -0.1f, sgd, 1), "sgd_update", "learning rate", "-0.1"));
    l.add(c("adam_update lr NaN", IAE, (b, r) -> b.adamUpdate(r.t(3), r.t(3), r.t(3), r.t(3), Float.NaN, adam, 1), "adam_update", "learning rate", "NaN"));
    l.add(c("adamw_update lr inf", IAE, (b, r) -> b.adamwUpdate(r.t(3), r.t(3), r.t(3), r.t(3), Float.POSITIVE_INFINITY, adam, 1), "adamw_update", "learning rate"));
    l.add(c("rmsprop_update lr negative", IAE, (b, r) -> b.rmspropUpdate(r.t(3), r.t(3), r.t(3), -1f, OptimizerConfigs.RmsProp.defaults()), "rmsprop_update", "learning rate"));
    l.add(c("adagrad_update lr negative", IAE, (b, r) -> b.adagradUpdate(r.t(3), r.t(3), r.t(3), -1f, OptimizerConfigs.Adagrad.defaults(), 1), "adagrad_update", "learning rate"));
    l.add(c("sgd_update step 0", IAE, (b, r) -> b.sgdUpdate(r.t(3), r.t(3), r.t(3), 0.1f, sgd, 0), "sgd_update", "step", "0"));
    l.add(c("adam_update step 0", IAE, (b, r) -> b.adamUpdate(r.t(3), r.t(3), r.t(3), r.t(3), 0.1f, adam, 0), "adam_update", "step", "0"));
    l.add(c("adamw_update step -1", IAE, (b, r) -> b.adamwUpdate(r.t(3), r.t(3), r.t(3), r.t(3), 0.1f, adam, -1), "adamw_update", "step", "-1"));
    l.add(c("adagrad_update step 0", IAE, (b, r) -> b.adagradUpdate(r.t(3), r.t(3), r.t(3), 0.1f, OptimizerConfigs.Adagrad.defaults(), 0), "adagrad_update", "step"));
    l.add(c("dropout_forward p = 1", IAE, (b, r) -> b.dropoutForward(r.t(4), r.t(4), r.t(4), 1f, 1, 0), "dropout_forward", "p", "1.0"));
    l.add(c("dropout_forward p < 0", IAE, (b, r) -> b.dropoutForward(r.t(4), r.t(4), r.t(4), -0.1f, 1, 0), "dropout_forward", "p", "-0.1"));
    l.add(c("dropout_forward p NaN", IAE, (b, r) -> b.dropoutForward(r.t(4), r.t(4), r.t(4), Float.NaN, 1, 0), "dropout_forward", "p", "NaN"));
    l.add(c("dropout_forward counter < 0", IAE, (b, r) -> b.dropoutForward(r.t(4), r.t(4), r.t(4), 0.5f, 1, -1), "dropout_forward", "counter", "-1"));
    l.add(c("leaky_relu_forward slope NaN", IAE, (b, r) -> b.leakyReluForward(r.t(4), r.t(4), Float.NaN), "leaky_relu_forward", "slope", "NaN"));
    l.add(c("leaky_relu_backward slope inf", IAE, (b, r) -> b.leakyReluBackward(r.t(4), r.t(4), r.t(4), Float.NEGATIVE_INFINITY), "leaky_relu_backward", "slope"));
    // ---- conv / pool / batch norm
    Conv2dGeometry cg = new Conv2dGeometry(2, 3, 6, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1);
    Pool2dGeometry pg = new Pool2dGeometry(2, 3, 6, 5, 3, 3, 2, 2, 1, 1);
    int py = 2 * 3 * pg.outH() * pg.outW();
    l.add(c("conv2d_forward wrong channel count", IAE, (b, r) -> b.conv2dForward(cg, r.t(2, 2, 6, 5), r.t(4, 3, 3, 3), null, r.t(cg.yShape()), ws(b, r, cg)),
        "conv2d_forward", "[2, 2, 6, 5]", "2 channels", "[4, 3, 3, 3]", "expects 3"));
    l.add(c("conv2d_forward wrong output shape", IAE, (b, r) -> b.conv2dForward(cg, r.t(cg.xShape()), r.t(cg.wShape()), null, r.t(2, 4, 5, 5), ws(b, r, cg)),
        "conv2d_forward", "y", "[2, 4, 5, 5]", "[2, 4, 6, 5]"));
    l.add(c("conv2d_forward wrong weight shape", IAE, (b, r) -> b.conv2dForward(cg, r.t(cg.xShape()), r.t(4, 3, 3, 2), null, r.t(cg.yShape()), ws(b, r, cg)),
        "conv2d_forward", "w", "[4, 3, 3, 2]", "[4, 3, 3, 3]"));
    l.add(c("conv2d_forward bias length", IAE, (b, r) -> b.conv2dForward(cg, r.t(cg.xShape()), r.t(cg.wShape()), r.t(5), r.t(cg.yShape()), ws(b, r, cg)),
        "conv2d_forward", "bias", "[5]", "[4]"));
    l.add(c("conv2d_forward short workspace", IAE, (b, r) -> b.conv2dForward(cg, r.t(cg.xShape()), r.t(cg.wShape()), null, r.t(cg.yShape()),
        r.t((int) b.conv2dWorkspaceSize(cg) - 1)), "conv2d_forward", "workspace", "needs"));
    l.add(c("conv2d_forward null workspace", NPE, (b, r) -> b.conv2dForward(cg, r.t(cg.xShape()), r.t(cg.wShape()), null, r.t(cg.yShape()), null),
        "conv2d_forward", "workspace is null"));
    l.add(c("conv2d_forward null x", NPE, (b, r) -> b.conv2dForward(cg, null, r.t(cg.wShape()), null, r.t(cg.yShape()), ws(b, r, cg)),
        "conv2d_forward", "x is null"));
    l.add(c("conv2d_forward null geometry", NPE, (b, r) -> b.conv2dForward(null, r.t(cg.xShape()), r.t(cg.wShape()), null, r.t(cg.yShape()), ws(b, r, cg)),
        "conv2d_forward", "geometry"));
    l.add(c("conv2d_forward w on foreign device", IAE, (b, r) -> b.conv2dForward(cg, r.t(cg.xShape()), r.foreign(cg.wShape()), null, r.t(cg.yShape()),
        ws(b, r, cg)), "conv2d_forward", "w", "device"));
    l.add(c("conv2d_forward y aliases x", IAE, (b, r) -> { Tensor s = r.t(400); b.conv2dForward(cg, s.view(0, cg.xShape()), r.t(cg.wShape()), null,
        s.view(100, cg.yShape()), ws(b, r, cg)); }, "conv2d_forward", "share storage"));
    l.add(c("conv2d_backward_data wrong dx shape", IAE, (b, r) -> b.conv2dBackwardData(cg, r.t(cg.yShape()), r.t(cg.wShape()), r.t(2, 3, 5, 6), ws(b, r, cg)),
        "conv2d_backward_data", "dx", "[2, 3, 5, 6]"));
    l.add(c("conv2d_backward_data workspace foreign", IAE, (b, r) -> b.conv2dBackwardData(cg, r.t(cg.yShape()), r.t(cg.wShape()), r.t(cg.xShape()),
        r.foreign((int) Math.max(1, b.conv2dWorkspaceSize(cg)))), "conv2d_backward_data", "workspace", "device"));
    l.add(c("conv2d_backward_filter dbias length", IAE, (b, r) -> b.conv2dBackwardFilter(cg, r.t(cg.xShape()), r.t(cg.yShape()), r.t(cg.wShape()), r.t(3),
        ws(b, r, cg)), "conv2d_backward_filter", "dbias", "[3]", "[4]"));
    l.add(c("conv2d_backward_filter wrong dy", IAE, (b, r) -> b.conv2dBackwardFilter(cg, r.t(cg.xShape()), r.t(2, 5, 6, 5), r.t(cg.wShape()), null,
        ws(b, r, cg)), "conv2d_backward_filter", "dy", "[2, 5, 6, 5]"));
    l.add(c("conv2d_backward_filter null dw", NPE, (b, r) -> b.conv2dBackwardFilter(cg, r.t(cg.xShape()), r.t(cg.yShape()), null, null, ws(b, r, cg)),
        "conv2d_backward_filter", "dw is null"));
    l.add(c("conv2d geometry output < 1", IAE, (b, r) -> new Conv2dGeometry(1, 1, 2, 2, 1, 3, 3, 1, 1, 0, 0, 1, 1), "conv2d", "smaller than", "3x3"));
    l.add(c("conv2d geometry stride 0", IAE, (b, r) -> new Conv2dGeometry(1, 1, 4, 4, 1, 3, 3, 0, 1, 0, 0, 1, 1), "strideH", "0"));
    l.add(c("pool2d geometry pad > kernel/2", IAE, (b, r) -> new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2, 2, 0), "pool2d", "padding", "half the kernel"));
    l.add(c("maxpool2d_forward wrong y", IAE, (b, r) -> b.maxPool2dForward(pg, r.t(pg.xShape()), r.t(2, 3, 3, 4), new int[py]),
        "maxpool2d_forward", "y", "[2, 3, 3, 4]", "[2, 3, 3, 3]"));
    l.add(c("maxpool2d_forward short argmax", IAE, (b, r) -> b.maxPool2dForward(pg, r.t(pg.xShape()), r.t(pg.yShape()), new int[py - 1]),
        "maxpool2d_forward", "argmax", String.valueOf(py - 1), String.valueOf(py)));
    l.add(c("maxpool2d_forward null argmax", NPE, (b, r) -> b.maxPool2dForward(pg, r.t(pg.xShape()), r.t(pg.yShape()), null), "maxpool2d_forward", "argmax is null"));
    l.add(c("maxpool2d_backward argmax out of plane", IAE, (b, r) -> { int[] a = new int[py]; a[3] = 30; b.maxPool2dBackward(pg, r.t(pg.yShape()), a, r.t(pg.xShape())); },
        "maxpool2d_backward", "argmax[3] = 30", "6x5"));
    l.add(c("maxpool2d_backward dx foreign", IAE, (b, r) -> b.maxPool2dBackward(pg, r.t(pg.yShape()), new int[py], r.foreign(pg.xShape())),
        "maxpool2d_backward", "dx", "device"));
    l.add(c("avgpool2d_forward wrong channels", IAE, (b, r) -> b.avgPool2dForward(pg, r.t(2, 4, 6, 5), r.t(pg.yShape())), "avgpool2d_forward", "x", "[2, 4, 6, 5]"));
    l.add(c("avgpool2d_backward null dy", NPE, (b, r) -> b.avgPool2dBackward(pg, null, r.t(pg.xShape())), "avgpool2d_backward", "dy is null"));
    l.add(c("global_avgpool2d_forward wrong y", IAE, (b, r) -> b.globalAvgPool2dForward(r.t(2, 3, 4, 4), r.t(2, 4)), "global_avgpool2d_forward", "[2, 4]", "[2, 3]"));
    l.add(c("global_avgpool2d_backward rank", IAE, (b, r) -> b.globalAvgPool2dBackward(r.t(2, 3), r.t(2, 3, 4)), "global_avgpool2d_backward", "rank 4"));
    l.add(c("batchnorm_forward_training gamma length", IAE, (b, r) -> b.batchNormForwardTraining(r.t(4, 3, 2, 2), r.t(4), r.t(3), r.t(4, 3, 2, 2), r.t(3),
        r.p(3), r.t(3), r.t(3), 0.1f, 1e-5f), "batchnorm_forward_training", "gamma", "[4]", "[3]"));
    l.add(c("batchnorm_forward_training one value per channel", IAE, (b, r) -> b.batchNormForwardTraining(r.t(1, 3), r.t(3), r.t(3), r.t(1, 3), r.t(3),
        r.p(3), r.t(3), r.t(3), 0.1f, 1e-5f), "batchnorm_forward_training", "more than 1 value", "[1, 3]"));
    l.add(c("batchnorm_forward_training running_var foreign", IAE, (b, r) -> b.batchNormForwardTraining(r.t(4, 3), r.t(3), r.t(3), r.t(4, 3), r.t(3),
        r.foreign(3), r.t(3), r.t(3), 0.1f, 1e-5f), "batchnorm_forward_training", "running_var", "device"));
    l.add(c("batchnorm_forward_training momentum 2", IAE, (b, r) -> b.batchNormForwardTraining(r.t(4, 3), r.t(3), r.t(3), r.t(4, 3), r.t(3),
        r.p(3), r.t(3), r.t(3), 2f, 1e-5f), "batchnorm_forward_training", "momentum", "2.0"));
    l.add(c("batchnorm_forward_inference eps 0", IAE, (b, r) -> b.batchNormForwardInference(r.t(4, 3), r.t(3), r.t(3), r.t(3), r.p(3), r.t(4, 3), 0f),
        "batchnorm_forward_inference", "eps"));
    l.add(c("batchnorm_forward_inference rank 3", IAE, (b, r) -> b.batchNormForwardInference(r.t(4, 3, 2), r.t(3), r.t(3), r.t(3), r.p(3), r.t(4, 3, 2), 1e-5f),
        "batchnorm_forward_inference", "[4, 3, 2]"));
    l.add(c("batchnorm_backward dx shape", IAE, (b, r) -> b.batchNormBackward(r.t(4, 3), r.t(4, 3), r.t(3), r.t(3), r.p(3), r.t(3, 4), r.t(3), r.t(3)),
        "batchnorm_backward", "dx", "[3, 4]"));
    l.add(c("batchnorm_backward null save_inv_std", NPE, (b, r) -> b.batchNormBackward(r.t(4, 3), r.t(4, 3), r.t(3), r.t(3), null, r.t(4, 3), r.t(3), r.t(3)),
        "batchnorm_backward", "save_inv_std is null"));
    // ---- recurrent + embedding (issue 4)
    RnnGeometry rg = new RnnGeometry(2, 3, 4, 5, false);
    l.add(c("lstm_forward x features vs wIh", IAE, (b, r) -> b.lstmForward(rg, r.t(2, 3, 3), null, null, r.t(20, 4), r.t(20, 5), r.t(20), r.t(20),
        r.t(rg.yShape()), r.t(2, 5), r.t(2, 5), lws(b, r, rg)), "lstm_forward", "x", "[2, 3, 3]", "3 features", "wIh", "[20, 4]", "expects 4"));
    l.add(c("lstm_forward wrong y", IAE, (b, r) -> b.lstmForward(rg, r.t(rg.xShape()), null, null, r.t(20, 4), r.t(20, 5), r.t(20), r.t(20),
        r.t(2, 4, 5), r.t(2, 5), r.t(2, 5), lws(b, r, rg)), "lstm_forward", "y", "[2, 4, 5]", "[2, 3, 5]"));
    l.add(c("lstm_forward wrong h0", IAE, (b, r) -> b.lstmForward(rg, r.t(rg.xShape()), r.t(5, 2), null, r.t(20, 4), r.t(20, 5), r.t(20), r.t(20),
        r.t(rg.yShape()), r.t(2, 5), r.t(2, 5), lws(b, r, rg)), "lstm_forward", "h0", "[5, 2]", "[2, 5]"));
    l.add(c("lstm_forward wrong wHh", IAE, (b, r) -> b.lstmForward(rg, r.t(rg.xShape()), null, null, r.t(20, 4), r.t(15, 5), r.t(20), r.t(20),
        r.t(rg.yShape()), r.t(2, 5), r.t(2, 5), lws(b, r, rg)), "lstm_forward", "wHh", "[15, 5]", "[20, 5]"));
    l.add(c("lstm_forward bias length", IAE, (b, r) -> b.lstmForward(rg, r.t(rg.xShape()), null, null, r.t(20, 4), r.t(20, 5), r.t(15), r.t(20),
        r.t(rg.yShape()), r.t(2, 5), r.t(2, 5), lws(b, r, rg)), "lstm_forward", "bIh", "[15]", "[20]"));
    l.add(c("lstm_forward short workspace", IAE, (b, r) -> b.lstmForward(rg, r.t(rg.xShape()), null, null, r.t(20, 4), r.t(20, 5), r.t(20), r.t(20),
        r.t(rg.yShape()), r.t(2, 5), r.t(2, 5), r.t(10)), "lstm_forward", "workspace", "[10]", "lstmWorkspaceSize"));
    l.add(c("lstm_forward null workspace", NPE, (b, r) -> b.lstmForward(rg, r.t(rg.xShape()), null, null, r.t(20, 4), r.t(20, 5), r.t(20), r.t(20),
        r.t(rg.yShape()), r.t(2, 5), r.t(2, 5), null), "lstm_forward", "workspace is null"));
    l.add(c("lstm_forward null x", NPE, (b, r) -> b.lstmForward(rg, null, null, null, r.t(20, 4), r.t(20, 5), r.t(20), r.t(20),
        r.t(rg.yShape()), r.t(2, 5), r.t(2, 5), lws(b, r, rg)), "lstm_forward", "x is null"));
    l.add(c("lstm_forward null cT", NPE, (b, r) -> b.lstmForward(rg, r.t(rg.xShape()), null, null, r.t(20, 4), r.t(20, 5), r.t(20), r.t(20),
        r.t(rg.yShape()), r.t(2, 5), null, lws(b, r, rg)), "lstm_forward", "cT is null"));
    l.add(c("lstm_forward null geometry", NPE, (b, r) -> b.lstmForward(null, r.t(rg.xShape()), null, null, r.t(20, 4), r.t(20, 5), r.t(20), r.t(20),
        r.t(rg.yShape()), r.t(2, 5), r.t(2, 5), r.t(400)), "lstm_forward", "geometry is null"));
    l.add(c("lstm_forward foreign wHh", IAE, (b, r) -> b.lstmForward(rg, r.t(rg.xShape()), null, null, r.t(20, 4), r.foreign(20, 5), r.t(20), r.t(20),
        r.t(rg.yShape()), r.t(2, 5), r.t(2, 5), lws(b, r, rg)), "lstm_forward", "wHh", "device"));
    l.add(c("lstm_backward null dc0", NPE, (b, r) -> b.lstmBackward(rg, r.t(rg.xShape()), null, null, r.t(20, 4), r.t(20, 5), r.t(rg.yShape()),
        lws(b, r, rg), r.t(rg.yShape()), null, null, r.t(rg.xShape()), r.t(2, 5), null, r.t(20, 4), r.t(20, 5), r.t(20), r.t(20)),
        "lstm_backward", "dc0 is null"));
    l.add(c("lstm_backward wrong dwHh", IAE, (b, r) -> b.lstmBackward(rg, r.t(rg.xShape()), null, null, r.t(20, 4), r.t(20, 5), r.t(rg.yShape()),
        lws(b, r, rg), r.t(rg.yShape()), null, null, r.t(rg.xShape()), r.t(2, 5), r.t(2, 5), r.t(20, 4), r.t(20, 4), r.t(20), r.t(20)),
        "lstm_backward", "dwHh", "[20, 4]", "[20, 5]"));
    l.add(c("lstm_backward wrong dcT", IAE, (b, r) -> b.lstmBackward(rg, r.t(rg.xShape()), null, null, r.t(20, 4), r.t(20, 5), r.t(rg.yShape()),
        lws(b, r, rg), r.t(rg.yShape()), null, r.t(3, 5), r.t(rg.xShape()), r.t(2, 5), r.t(2, 5), r.t(20, 4), r.t(20, 5), r.t(20), r.t(20)),
        "lstm_backward", "dcT", "[3, 5]", "[2, 5]"));
    l.add(c("lstm_backward foreign dy", IAE, (b, r) -> b.lstmBackward(rg, r.t(rg.xShape()), null, null, r.t(20, 4), r.t(20, 5), r.t(rg.yShape()),
        lws(b, r, rg), r.foreign(rg.yShape()), null, null, r.t(rg.xShape()), r.t(2, 5), r.t(2, 5), r.t(20, 4), r.t(20, 5), r.t(20), r.t(20)),
        "lstm_backward", "dy", "device"));
    l.add(c("gru_forward lstm-sized wIh", IAE, (b, r) -> b.gruForward(rg, r.t(rg.xShape()), null, r.t(20, 4), r.t(15, 5), r.t(15), r.t(15),
        r.t(rg.yShape()), r.t(2, 5), gws(b, r, rg)), "gru_forward", "wIh", "[20, 4]", "[15, 4]"));
    l.add(c("gru_forward null hT", NPE, (b, r) -> b.gruForward(rg, r.t(rg.xShape()), null, r.t(15, 4), r.t(15, 5), r.t(15), r.t(15),
        r.t(rg.yShape()), null, gws(b, r, rg)), "gru_forward", "hT is null"));
    l.add(c("gru_backward short workspace", IAE, (b, r) -> b.gruBackward(rg, r.t(rg.xShape()), null, r.t(15, 4), r.t(15, 5), r.t(rg.yShape()),
        r.t(50), r.t(rg.yShape()), null, r.t(rg.xShape()), r.t(2, 5), r.t(15, 4), r.t(15, 5), r.t(15), r.t(15)),
        "gru_backward", "workspace", "[50]", "gruWorkspaceSize"));
    l.add(c("gru_backward wrong dx", IAE, (b, r) -> b.gruBackward(rg, r.t(rg.xShape()), null, r.t(15, 4), r.t(15, 5), r.t(rg.yShape()),
        gws(b, r, rg), r.t(rg.yShape()), null, r.t(2, 3, 5), r.t(2, 5), r.t(15, 4), r.t(15, 5), r.t(15), r.t(15)),
        "gru_backward", "dx", "[2, 3, 5]", "[2, 3, 4]"));
    l.add(c("gru_backward dx aliases dy", IAE, (b, r) -> { Tensor dy = r.t(2, 3, 5);
        b.gruBackward(new RnnGeometry(2, 3, 5, 5, false), r.t(2, 3, 5), null, r.t(15, 5), r.t(15, 5), r.t(2, 3, 5), r.t(400), dy, null, dy,
            r.t(2, 5), r.t(15, 5), r.t(15, 5), r.t(15), r.t(15)); }, "gru_backward", "dx", "must not share storage with dy"));
    l.add(c("rnn geometry zero steps", IAE, (b, r) -> new RnnGeometry(2, 0, 4, 5, false), "rnn", "steps", "0"));
    l.add(c("embedding_forward id out of range", IAE, (b, r) -> b.embeddingForward(new int[] {0, 10}, 0, r.t(10, 4), r.t(2, 4)),
        "embedding_forward", "id 10", "position 1", "[0, 10)", "[10, 4]"));
    l.add(c("embedding_forward negative id", IAE, (b, r) -> b.embeddingForward(new int[] {7, -1, 2}, 1, r.t(10, 4), r.t(2, 4)),
        "embedding_forward", "id -1", "position 0"));
    l.add(c("embedding_forward too few ids", IAE, (b, r) -> b.embeddingForward(new int[] {1, 2}, 1, r.t(10, 4), r.t(2, 4)),
        "embedding_forward", "needs 2 ids", "offset 1", "has 2"));
    l.add(c("embedding_forward out not rows of D", IAE, (b, r) -> b.embeddingForward(new int[] {1, 2, 3}, 0, r.t(10, 4), r.t(3, 3)),
        "embedding_forward", "out", "[3, 3]", "multiple", "4"));
    l.add(c("embedding_forward weight rank 1", IAE, (b, r) -> b.embeddingForward(new int[] {1}, 0, r.t(10), r.t(1)),
        "embedding_forward", "weight", "[10]"));
    l.add(c("embedding_forward null ids", NPE, (b, r) -> b.embeddingForward(null, 0, r.t(10, 4), r.t(2, 4)), "embedding_forward", "ids is null"));
    l.add(c("embedding_forward foreign out", IAE, (b, r) -> b.embeddingForward(new int[] {1, 2}, 0, r.t(10, 4), r.foreign(2, 4)),
        "embedding_forward", "out", "device"));
    l.add(c("embedding_backward paddingIdx out of range", IAE, (b, r) -> b.embeddingBackward(new int[] {1, 2}, 0, r.t(2, 4), r.t(10, 4), 10),
        "embedding_backward", "paddingIdx 10", "[0, 10)"));
    l.add(c("embedding_backward id out of range", IAE, (b, r) -> b.embeddingBackward(new int[] {1, 12}, 0, r.t(2, 4), r.t(10, 4), -1),
        "embedding_backward", "id 12"));
    l.add(c("embedding_backward null dweight", NPE, (b, r) -> b.embeddingBackward(new int[] {1, 2}, 0, r.t(2, 4), null, -1),
        "embedding_backward", "dweight is null"));
    return l;
  }

  static Tensor ws(Backend b, Rec r, Conv2dGeometry g) {
    long n = b.conv2dWorkspaceSize(g);
    return n == 0 ? null : r.t((int) n);
  }

  static Tensor lws(Backend b, Rec r, RnnGeometry g) { return r.t((int) b.lstmWorkspaceSize(g)); }
  static Tensor gws(Backend b, Rec r, RnnGeometry g) { return r.t((int) b.gruWorkspaceSize(g)); }

  static Stream<Arguments> badCases() { return BackendSource.allTimes(cases().toArray()); }

  static boolean cpuLoaded() {
    return Backends.statuses().stream().anyMatch(s -> s.name().equals("cpu") && s.available());
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("badCases")
  void rejectedBeforeNativeCodeWithAClearMessage(Candidate c, Case bad) {
    Backend be = BackendSource.require(c);
    Rec r = new Rec(be.device());
    long calls = cpuLoaded() ? CpuBackend.nativeCalls() : -1;
    Throwable e = assertThrows(Throwable.class, () -> bad.bad().call(be, r), bad.name() + " on " + be.name() + " did not throw");
    assertEquals(bad.type(), e.getClass(), bad.name() + " on " + be.name() + ": wrong exception type, message: " + e.getMessage());
    String msg = String.valueOf(e.getMessage());
    for (String f : bad.fragments())
      assertTrue(msg.contains(f), bad.name() + " on " + be.name() + ": message \"" + msg + "\" does not mention \"" + f + "\"");
    if (calls >= 0) assertEquals(calls, CpuBackend.nativeCalls(), bad.name() + " on " + be.name() + ": a native kernel ran before validation");
    r.assertUntouched(bad.name() + " on " + be.name());
    // the backend still works
    Tensor out = Tensor.zeros(be.device(), 3);
    be.add(Tensor.of(be.device(), new float[] {1, 2, 3}, 3), Tensor.of(be.device(), new float[] {10, 20, 30}, 3), out);
    assertArrayEquals(new float[] {11, 22, 33}, out.toArray(), be.name() + " after rejecting " + bad.name());
  }
}
