package dev.jnn.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.jnn.loss.SoftmaxCrossEntropyLoss;
import dev.jnn.nn.Dense;
import dev.jnn.nn.Layer;
import dev.jnn.nn.ProfileHooks;
import dev.jnn.nn.ReLU;
import dev.jnn.optim.Adam;
import dev.jnn.tensor.Device;
import dev.jnn.tensor.Tensor;
import dev.jnn.train.Model;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hooks themselves (what NVTX ranges and the profiler see): order, balance, and balance when a layer throws. */
class ProfileHooksTest {
  /** Records "begin X" / "end X" and checks that every end closes the innermost open range. */
  static final class Recorder implements ProfileHooks.Listener {
    final List<String> log = new ArrayList<>();
    final Deque<ProfileHooks.Range> open = new ArrayDeque<>();

    @Override public void begin(ProfileHooks.Range r, Object subject, Object owner) {
      open.push(r);
      log.add("begin " + r + " " + label(subject));
    }

    @Override public void end(ProfileHooks.Range r, Object subject, Object owner) {
      assertSame(r, open.pop(), "ranges must close innermost first");
      log.add("end " + r + " " + label(subject));
    }

    static String label(Object s) { return s instanceof Layer l ? l.name() : s.getClass().getSimpleName(); }
  }

  @Test
  void oneTrainingStepOpensAndClosesEveryRangeInOrder() {
    Model m = Model.sequential(new Dense(3, 4), new ReLU(), new Dense(4, 2)).init(1);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
    Tensor x = Tensor.zeros(Device.JAVA, 5, 3), y = Tensor.zeros(Device.JAVA, 5, 1);
    Recorder r = new Recorder();
    assertNull(ProfileHooks.install(r));
    try {
      m.trainOnBatch(x, y);
    } finally {
      assertSame(r, ProfileHooks.install(null));
    }
    assertEquals(List.of(
        "begin STEP Sequential(3 layers)",
        "begin FORWARD Dense(3->4)", "end FORWARD Dense(3->4)", "begin FORWARD ReLU", "end FORWARD ReLU",
        "begin FORWARD Dense(4->2)", "end FORWARD Dense(4->2)",
        "begin LOSS_FORWARD SoftmaxCrossEntropyLoss", "end LOSS_FORWARD SoftmaxCrossEntropyLoss",
        "begin LOSS_BACKWARD SoftmaxCrossEntropyLoss", "end LOSS_BACKWARD SoftmaxCrossEntropyLoss",
        "begin BACKWARD Dense(4->2)", "end BACKWARD Dense(4->2)", "begin BACKWARD ReLU", "end BACKWARD ReLU",
        "begin BACKWARD Dense(3->4)", "end BACKWARD Dense(3->4)",
        "begin OPTIMIZER_STEP Adam", "begin UPDATE Parameter", "end UPDATE Parameter", "begin UPDATE Parameter", "end UPDATE Parameter",
        "begin UPDATE Parameter", "end UPDATE Parameter", "begin UPDATE Parameter", "end UPDATE Parameter", "end OPTIMIZER_STEP Adam",
        "end STEP Sequential(3 layers)"), r.log);
    assertEquals(0, r.open.size());
  }

  @Test
  void rangesCloseWhenALayerThrows() {
    Model m = Model.sequential(new Dense(3, 4), new ReLU()).init(1);
    m.compile(new SoftmaxCrossEntropyLoss(), Adam.builder().build());
    Recorder r = new Recorder();
    ProfileHooks.install(r);
    try {
      assertThrows(IllegalArgumentException.class, () -> m.trainOnBatch(Tensor.zeros(Device.JAVA, 5, 7), Tensor.zeros(Device.JAVA, 5, 1)));
    } finally {
      ProfileHooks.install(null);
    }
    assertEquals(0, r.open.size(), "every begin got its end: " + r.log);
    assertEquals("end STEP Sequential(2 layers)", r.log.get(r.log.size() - 1));
  }
}
